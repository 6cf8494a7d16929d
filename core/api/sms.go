package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// SMSOrders is the SMS engine as the REST API drives it.
type SMSOrders interface {
	Catalog() *core.Catalog
	Place(ctx context.Context, p core.PlaceSMSParams) (core.SMSOrder, bool, error)
	Order(ctx context.Context, sc core.Scope, id string) (core.SMSOrder, error)
	Orders(ctx context.Context, sc core.Scope, limit, offset int) ([]core.SMSOrder, int, error)
	Cancel(ctx context.Context, sc core.Scope, id string) (core.SMSOrder, decimal.Decimal, error)
}

type smsCountry struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Price   Money  `json:"price_ngn"`
	Stock   int    `json:"stock"`
	InStock bool   `json:"in_stock"`
}

type smsService struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Price     Money        `json:"price_ngn"`
	Countries []smsCountry `json:"countries"`
}

// getSMSServices answers GET /api/v1/sms/services from the cached catalog.
func (h *Handler) getSMSServices(sms SMSOrders) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap := sms.Catalog().Snapshot()
		out := make([]smsService, 0, len(snap.Services))
		for _, svc := range snap.Services {
			offers := snap.OffersFor(svc.ID)
			s := smsService{ID: svc.ID, Name: svc.Name, Price: Money(offers[0].Price), Countries: make([]smsCountry, len(offers))}
			for i, o := range offers {
				s.Countries[i] = smsCountry{ID: o.Country.ID, Name: o.Country.Name, Price: Money(o.Price), Stock: o.Stock, InStock: o.Stock > 0}
			}
			out = append(out, s)
		}
		writeData(w, http.StatusOK, map[string]any{"services": out})
	})
}

// getSMSStock answers GET /api/v1/sms/stock?service_id=wa&country_id=187.
func (h *Handler) getSMSStock(sms SMSOrders) http.Handler {
	type response struct {
		ServiceID string `json:"service_id"`
		CountryID int    `json:"country_id"`
		Price     Money  `json:"price_ngn"`
		Stock     int    `json:"stock"`
		InStock   bool   `json:"in_stock"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		service := q.Get("service_id")
		if service == "" {
			h.writeError(w, r, core.ValidationError("service_id", "is required"))
			return
		}
		country, err := strconv.Atoi(q.Get("country_id"))
		if err != nil || country < 0 {
			h.writeError(w, r, core.ValidationError("country_id", "is required and must be a country number such as 187"))
			return
		}
		offer, err := sms.Catalog().Snapshot().FindOffer(service, country)
		if core.ErrorCode(err) == core.CodeInsufficientStock {
			err = core.Errorf(core.CodeNotFound, "%s", core.ErrorMessage(err))
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, response{ServiceID: service, CountryID: country, Price: Money(offer.Price), Stock: offer.Stock, InStock: offer.Stock > 0})
	})
}

// smsOrderJSON is the design's SMS order object.
type smsOrderJSON struct {
	ID          string     `json:"id"`
	ShortID     string     `json:"short_id"`
	ServiceID   string     `json:"service_id"`
	ServiceName string     `json:"service_name"`
	CountryID   int        `json:"country_id"`
	CountryName string     `json:"country_name"`
	PhoneNumber *string    `json:"phone_number"`
	Price       Money      `json:"price_ngn"`
	Status      string     `json:"status"`
	SMSCode     *string    `json:"sms_code"`
	SMSText     *string    `json:"sms_text"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
	ReceivedAt  *time.Time `json:"received_at"`
	RefundedNGN *Money     `json:"refunded_ngn,omitempty"`
}

func smsOrderView(o core.SMSOrder) smsOrderJSON {
	return smsOrderJSON{
		ID: o.ID, ShortID: strconv.FormatInt(o.ShortID, 10),
		ServiceID: o.ServiceID, ServiceName: o.ServiceName, CountryID: o.CountryID, CountryName: o.CountryName,
		PhoneNumber: nonEmpty(o.E164()), Price: Money(o.Price), Status: o.Status.Public(),
		SMSCode: nonEmpty(o.Code), SMSText: nonEmpty(o.Text),
		CreatedAt: o.CreatedAt.UTC(), ExpiresAt: utc(o.ExpiresAt), ReceivedAt: utc(o.ReceivedAt),
	}
}

// postSMSOrder answers POST /api/v1/sms/orders {"service_id","country_id"}.
func (h *Handler) postSMSOrder(sms SMSOrders) http.Handler {
	type request struct {
		ServiceID *string `json:"service_id"`
		CountryID *int    `json:"country_id"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := idempotencyKey(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		var req request
		if err := decodeJSON(w, r, &req); err != nil {
			h.writeError(w, r, err)
			return
		}
		switch {
		case req.ServiceID == nil || *req.ServiceID == "":
			err = core.ValidationError("service_id", "is required")
		case req.CountryID == nil:
			err = core.ValidationError("country_id", "is required")
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		p := principal(r)
		o, replayed, err := sms.Place(r.Context(), core.PlaceSMSParams{
			Scope:  core.Scope{UserID: p.UserID, APIKeyID: p.KeyID},
			Source: core.SourceAPI, ServiceID: *req.ServiceID, CountryID: *req.CountryID, IdempotencyKey: key,
		})
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if replayed {
			w.Header().Set("Idempotency-Replayed", "true")
		}
		writeData(w, http.StatusCreated, smsOrderView(o))
	})
}

// getSMSOrder answers GET /api/v1/sms/orders/{id}.
func (h *Handler) getSMSOrder(sms SMSOrders) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := sms.Order(r.Context(), scope(r), r.PathValue("id"))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, smsOrderView(o))
	})
}

// listSMSOrders answers GET /api/v1/sms/orders?limit&offset.
func (h *Handler) listSMSOrders(sms SMSOrders) http.Handler {
	return listHandler(h, "orders", func(r *http.Request, limit, offset int) ([]core.SMSOrder, int, error) {
		return sms.Orders(r.Context(), scope(r), limit, offset)
	}, smsOrderView)
}

// cancelSMSOrder answers DELETE /api/v1/sms/orders/{id}.
func (h *Handler) cancelSMSOrder(sms SMSOrders) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, refunded, err := sms.Cancel(r.Context(), scope(r), r.PathValue("id"))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		v := smsOrderView(o)
		m := Money(refunded)
		v.RefundedNGN = &m
		writeData(w, http.StatusOK, v)
	})
}

// scope is what an API caller may see: its own key's orders.
func scope(r *http.Request) core.Scope {
	p := principal(r)
	return core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
