# Multi-stage build of the tenantgraph gateway: a static binary on a
# distroless base that runs as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tenantgraph .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tenantgraph /usr/local/bin/tenantgraph
COPY tenants /etc/tenantgraph/tenants
ENV TENANTGRAPH_TENANTS_DIR=/etc/tenantgraph/tenants \
    TENANTGRAPH_LOG_FORMAT=json
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/usr/local/bin/tenantgraph", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tenantgraph"]
