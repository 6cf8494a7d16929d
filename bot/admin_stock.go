package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Stock upload: an admin sends a .txt document (one credential per line)
// with the product id as its caption.

// maxStockFile bounds an uploaded stock file.
const maxStockFile = 5 << 20

func (r *req) stockUpload(m *models.Message) {
	caption := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m.Caption), "/stock"))
	id, err := strconv.ParseInt(strings.TrimPrefix(caption, "#"), 10, 64)
	doc := m.Document
	if err != nil || id <= 0 || !strings.HasSuffix(strings.ToLower(doc.FileName), ".txt") {
		r.reply(r.p.t("admin.usage_stock"))
		return
	}
	if doc.FileSize > maxStockFile {
		r.reply(r.p.t("admin.stock_too_big", "MB", maxStockFile>>20))
		return
	}
	body, err := r.b.download(r.ctx, doc.FileID)
	if err != nil {
		r.b.logger.WarnContext(r.ctx, "stock file download failed", "err", err)
		r.reply(r.p.t("admin.stock_download_failed"))
		return
	}
	res, err := r.b.d.Inventory.ImportStock(r.ctx, id, strings.Split(string(body), "\n"))
	if err != nil {
		r.fail(err)
		return
	}
	p, err := r.b.d.Inventory.CatalogItem(r.ctx, id)
	stock := 0
	if err == nil {
		stock = p.Stock
	}
	r.reply(r.p.t("admin.stock_imported", "Product", id, "Imported", res.Imported, "Duplicates", res.Duplicates, "Stock", stock))
}

// download fetches a file the user sent, through getFile.
func (b *Bot) download(ctx context.Context, fileID string) ([]byte, error) {
	var f *models.File
	err := b.send.Do(ctx, func(ctx context.Context, api *tgbot.Bot) error {
		var err error
		f, err = api.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
		return err
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.cfg.HTTPClient.Do(req)
	if err != nil {
		// The URL holds the bot token; keep it out of logs.
		return nil, fmt.Errorf("download file: %w", redactToken(err, b.cfg.Token))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download file: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStockFile+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxStockFile {
		return nil, fmt.Errorf("file larger than %d bytes", maxStockFile)
	}
	return body, nil
}

// redactToken hides the bot token in an error's text.
func redactToken(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "***"))
}
