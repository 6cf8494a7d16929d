package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// adminProductCreate is `admin product create`: it prints the new product id.
func adminProductCreate(ctx context.Context, fs *flag.FlagSet, stdout io.Writer) (check func() error, do func(a *app) error) {
	name := fs.String("name", "", "product name (required)")
	category := fs.String("category", "", "platform, e.g. Instagram (required)")
	price := fs.String("price", "", "NGN price per item, e.g. 2500 or 1250.50 (required)")
	description := fs.String("description", "", "shown in the catalog")
	var amount decimal.Decimal
	check = func() error {
		switch {
		case strings.TrimSpace(*name) == "":
			return usageError("admin product create: --name is required")
		case strings.TrimSpace(*category) == "":
			return usageError("admin product create: --category is required")
		}
		var err error
		if amount, err = core.ParseAmount("--price", *price); err != nil {
			return usageError("admin product create: %s", core.ErrorMessage(err))
		}
		return nil
	}
	return check, func(a *app) error {
		p, err := a.inventory.CreateProduct(ctx, core.NewProduct{
			Name: *name, Category: *category, Description: *description, Price: amount,
		})
		if core.ErrorCode(err) == core.CodeInvalid {
			return usageError("admin product create: --%s", core.ErrorMessage(err))
		}
		if err != nil {
			return clientMessage(err)
		}
		_, err = fmt.Fprintln(stdout, p.ID)
		return err
	}
}

// adminStockImport is `admin stock import`: it prints how many credentials
// were imported, and reports refused duplicates on stderr.
func adminStockImport(ctx context.Context, fs *flag.FlagSet, stdout, stderr io.Writer) (check func() error, do func(a *app) error) {
	productID := fs.Int64("product", 0, "product id (required)")
	file := fs.String("file", "", "file with one credential per line (required)")
	var data []byte
	check = func() error {
		switch {
		case *productID <= 0:
			return usageError("admin stock import: --product is required and must be a product id")
		case *file == "":
			return usageError("admin stock import: --file is required")
		}
		var err error
		data, err = readStockFile(*file)
		return err
	}
	return check, func(a *app) error {
		if err := a.cfg.requireEncryptionKey(); err != nil {
			return usageError("%v", err) // credentials are only ever stored encrypted
		}
		res, err := a.inventory.ImportStock(ctx, *productID, strings.Split(string(data), "\n"))
		if err != nil {
			return clientMessage(err)
		}
		if res.Duplicates > 0 {
			fmt.Fprintf(stderr, "skipped %d duplicate(s)\n", res.Duplicates)
		}
		_, err = fmt.Fprintln(stdout, res.Imported)
		return err
	}
}

// maxStockFile bounds a stock file: about 100,000 credentials of the
// longest kind.
const maxStockFile = 64 << 20

// readStockFile reads a regular file of at most maxStockFile bytes (not a
// device such as /dev/zero that never ends).
func readStockFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("admin stock import: cannot read --file: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, usageError("admin stock import: --file must be a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStockFile+1))
	if err != nil {
		return nil, fmt.Errorf("admin stock import: cannot read --file: %w", err)
	}
	if len(data) > maxStockFile {
		return nil, usageError("admin stock import: --file is larger than %d MiB; split it", maxStockFile>>20)
	}
	return data, nil
}
