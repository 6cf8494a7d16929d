package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"accgen/core"
)

// adminProductCreate is `admin product create`: it prints the new product id.
func adminProductCreate(ctx context.Context, fs *flag.FlagSet, stdout io.Writer) func(a *app) error {
	name := fs.String("name", "", "product name (required)")
	category := fs.String("category", "", "platform, e.g. Instagram (required)")
	price := fs.String("price", "", "NGN price per item, e.g. 2500 or 1250.50 (required)")
	description := fs.String("description", "", "shown in the catalog")
	return func(a *app) error {
		switch {
		case strings.TrimSpace(*name) == "":
			return usageError("admin product create: --name is required")
		case strings.TrimSpace(*category) == "":
			return usageError("admin product create: --category is required")
		}
		amount, err := core.ParseAmount("--price", *price)
		if err != nil {
			return usageError("admin product create: %s", core.ErrorMessage(err))
		}
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
func adminStockImport(ctx context.Context, fs *flag.FlagSet, stdout, stderr io.Writer) func(a *app) error {
	productID := fs.Int64("product", 0, "product id (required)")
	file := fs.String("file", "", "file with one credential per line (required)")
	return func(a *app) error {
		switch {
		case *productID <= 0:
			return usageError("admin stock import: --product is required and must be a product id")
		case *file == "":
			return usageError("admin stock import: --file is required")
		}
		if err := a.cfg.requireEncryptionKey(); err != nil {
			return usageError("%v", err) // credentials are only ever stored encrypted
		}
		data, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("admin stock import: cannot read --file: %w", err)
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
