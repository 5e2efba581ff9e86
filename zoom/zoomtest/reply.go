package zoomtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// reply is an answer the server has decided on but not yet written.
type reply struct {
	status int
	header http.Header // extra headers, such as rate-limit ones
	body   any         // marshalled as JSON; nil means no body
	raw    []byte      // sent as is with rawType when body is nil
	// rawType is the Content-Type of raw.
	rawType string
}

// zoomError is the body of Zoom's API errors.
type zoomError struct {
	Code    int          `json:"code"`
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func errorReply(status, code int, format string, a ...any) reply {
	return reply{status: status, body: zoomError{Code: code, Message: fmt.Sprintf(format, a...)}}
}

func noUser(id string) reply {
	return errorReply(http.StatusNotFound, 1001, "User does not exist: %s.", id)
}

func invalidBody() reply {
	return errorReply(http.StatusBadRequest, 300, "Request Body should be a valid JSON object.")
}

func validationFailed(field string) reply {
	return reply{status: http.StatusBadRequest, body: zoomError{Code: 300,
		Message: "Validation Failed.",
		Errors:  []fieldError{{Field: field, Message: "Invalid field."}}}}
}

func invalidToken(message string) reply {
	return errorReply(http.StatusUnauthorized, 124, "%s", message)
}

// throttle answers a request over a rate limit. Headers are decided by the
// caller, since some 429s carry none.
func throttle(message string) reply {
	return reply{status: http.StatusTooManyRequests, header: http.Header{},
		body: zoomError{Code: 429, Message: message}}
}

// The messages of Zoom's three kinds of 429.
const (
	msgPerSecond = "You have reached the maximum per-second rate limit for this API. " +
		"Try again later."
	msgDaily = "You have reached the maximum daily rate limit for this API. " +
		"Refer to the rate limits documentation for more information."
	msgConcurrent = "Too many concurrent requests."
)

// serverError is a 5xx as Zoom's edge sends them: JSON from the API, an HTML
// page from the gateway.
func serverError(gateway bool) reply {
	if gateway {
		page := "<html><head><title>503 Service Temporarily Unavailable</title></head>" +
			"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n"
		return reply{status: http.StatusServiceUnavailable, raw: []byte(page),
			rawType: "text/html"}
	}
	return errorReply(http.StatusInternalServerError, 500,
		"An internal error occurred. Try again later.")
}

// write sends r with the headers every answer carries.
func (r reply) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range r.header {
		h[k] = v
	}
	body := r.raw
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			panic("zoomtest: encode reply: " + err.Error())
		}
		h.Set("Content-Type", "application/json;charset=UTF-8")
	} else if r.rawType != "" {
		h.Set("Content-Type", r.rawType)
	}
	if len(body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(body)
}
