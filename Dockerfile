# Multi-stage build of the accgen binary (engine and simulator in one).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/accgen ./cmd/accgen

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accgen /usr/local/bin/accgen
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/accgen"]
CMD ["serve"]
