package apperr_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		err      *apperr.Error
		wantBody string
	}{
		{
			name:     "tenant unknown",
			status:   http.StatusForbidden,
			err:      &apperr.Error{Code: apperr.TenantUnknown, Message: "tenant not registered"},
			wantBody: `{"errors":[{"message":"tenant not registered","extensions":{"code":"TENANT_UNKNOWN"}}]}`,
		},
		{
			name:     "argument, and the cause is not sent",
			status:   http.StatusBadRequest,
			err:      &apperr.Error{Code: apperr.BadUserInput, Message: "input.name: must not be empty", Argument: "input.name", Err: http.ErrBodyNotAllowed},
			wantBody: `{"errors":[{"message":"input.name: must not be empty","extensions":{"argument":"input.name","code":"BAD_USER_INPUT"}}]}`,
		},
		{
			name:     "nil",
			status:   http.StatusInternalServerError,
			wantBody: `{"errors":[{"message":"internal system error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set("X-Request-Id", "r1")
			apperr.Write(w, tc.status, tc.err)
			require.Equal(t, tc.status, w.Code)
			require.Equal(t, "application/json", w.Header().Get("Content-Type"))
			require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			require.Equal(t, "r1", w.Header().Get("X-Request-Id"))
			require.Equal(t, tc.wantBody, w.Body.String()) // byte for byte, as gqlgen writes it
		})
	}
}
