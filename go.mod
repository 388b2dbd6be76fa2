module github.com/tenantgraph/tenantgraph

go 1.26.0
