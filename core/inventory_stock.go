package core

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ImportResult says what a stock import did.
type ImportResult struct {
	Imported int
	// Duplicates counts lines refused because they repeat an earlier line of
	// the input or a credential the product already has.
	Duplicates int
}

const (
	// maxCredentialLen bounds one credential line.
	maxCredentialLen = 4096
	// importBatch bounds the parameters of one statement.
	importBatch = 1000
)

// importLine is a credential ready to be sealed.
type importLine struct {
	plain string
	fps   [][]byte // under every key, current first
}

// ImportStock adds one stock item per non-blank line of lines (surrounding
// whitespace removed) to the product, all or nothing. Duplicates, within
// lines or against the stored stock, are refused and counted; they are found
// by keyed fingerprint, so no stored credential is decrypted.
func (inv *Inventory) ImportStock(ctx context.Context, productID int64, lines []string) (ImportResult, error) {
	if inv.crypt == nil {
		return ImportResult{}, errNoCrypter
	}
	if _, err := inv.store.ProductByID(ctx, productID); err != nil {
		return ImportResult{}, err
	}
	entries, inInput, err := parseStockLines(lines, inv.crypt.Fingerprints)
	if err != nil {
		return ImportResult{}, err
	}

	var res ImportResult
	err = inv.tx.InTx(ctx, func(ctx context.Context) error {
		res = ImportResult{Duplicates: inInput}
		for start := 0; start < len(entries); start += importBatch {
			added, dups, err := inv.importBatch(ctx, productID, entries[start:min(start+importBatch, len(entries))])
			if err != nil {
				return err
			}
			res.Imported += added
			res.Duplicates += dups
		}
		return nil
	})
	return res, err
}

// parseStockLines turns an import's lines into credentials: surrounding
// whitespace (and a leading byte-order mark) removed, blank lines skipped,
// repeats within the input dropped and counted. A line that is too long,
// not UTF-8 or holds a control character other than a tab refuses the whole
// import, naming the line: credentials are shown to buyers as they are.
func parseStockLines(lines []string, fingerprints func([]byte) [][]byte) (entries []importLine, repeats int, err error) {
	seen := map[string]bool{}
	for i, line := range lines {
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff") // a byte-order mark from a Windows editor
		}
		line = strings.TrimSpace(line)
		field := fmt.Sprintf("line %d", i+1)
		switch {
		case line == "":
			continue
		case len(line) > maxCredentialLen:
			return nil, 0, ValidationError(field, "is longer than %d bytes", maxCredentialLen)
		case !utf8.ValidString(line):
			return nil, 0, ValidationError(field, "is not valid UTF-8")
		case strings.IndexFunc(line, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) >= 0:
			return nil, 0, ValidationError(field, "contains a control character")
		}
		fps := fingerprints([]byte(line))
		if seen[string(fps[0])] {
			repeats++
			continue
		}
		seen[string(fps[0])] = true
		entries = append(entries, importLine{plain: line, fps: fps})
	}
	return entries, repeats, nil
}

// importBatch seals and stores one batch, returning how many were added and
// how many were already stored.
func (inv *Inventory) importBatch(ctx context.Context, productID int64, batch []importLine) (added, dups int, err error) {
	// Fingerprints under previous keys catch credentials stored before a
	// key rotation; the unique (product, fingerprint) index only knows the
	// current key's.
	var all [][]byte
	for _, e := range batch {
		all = append(all, e.fps...)
	}
	existing, err := inv.store.ExistingFingerprints(ctx, productID, all)
	if err != nil {
		return 0, 0, err
	}
	stored := make(map[string]bool, len(existing))
	for _, fp := range existing {
		stored[string(fp)] = true
	}
	fresh := batch[:0:0]
	for _, e := range batch {
		if hasAny(stored, e.fps) {
			dups++
			continue
		}
		fresh = append(fresh, e)
	}
	if len(fresh) == 0 {
		return 0, dups, nil
	}
	ids, err := inv.store.ReserveStockItemIDs(ctx, len(fresh))
	if err != nil {
		return 0, 0, err
	}
	items := make([]StockItem, len(fresh))
	for i, e := range fresh {
		keyID, ct, err := inv.crypt.Seal([]byte(e.plain), stockAAD(productID, ids[i]))
		if err != nil {
			return 0, 0, Internal(fmt.Errorf("seal stock item: %w", err))
		}
		items[i] = StockItem{ID: ids[i], ProductID: productID, KeyID: keyID, Ciphertext: ct, Fingerprint: e.fps[0]}
	}
	added, err = inv.store.AddStockItems(ctx, productID, items)
	if err != nil {
		return 0, 0, err
	}
	// The difference was imported by a concurrent import in the meantime.
	return added, dups + len(items) - added, nil
}

func hasAny(set map[string]bool, keys [][]byte) bool {
	for _, k := range keys {
		if set[string(k)] {
			return true
		}
	}
	return false
}
