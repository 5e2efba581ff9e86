// Package zoomtest provides a simulated Zoom account, the sandbox, for tests,
// benchmarks and offline demonstrations of offboard.
//
// A [Server] serves Zoom's Server-to-Server OAuth token endpoint and three
// operations of the Users API: get a user, list users and update a user's
// status. It answers them as Zoom does, with the bodies, error codes and
// rate-limit headers Zoom's documentation, OpenAPI spec and forum describe,
// including Zoom's rougher edges: throttles without headers, connections that
// drop, gateway errors with HTML bodies. Use [New] with [Server.Transport]
// for in-process tests (which may run inside a testing/synctest bubble), or
// [Start] to listen on a loopback address.
//
// # Authentication
//
// POST /oauth/token takes HTTP Basic auth with the server's [Credentials] and
// the form body grant_type=account_credentials&account_id=ID; parameters in
// the query string are refused with 400 as Zoom does. A wrong client ID or
// secret gets 401 with error "invalid_client". Tokens live for
// [Options].TokenTTL. Issuing a token leaves earlier ones valid until they
// expire, which is what Zoom documents; set TokenReplacesPrevious for the
// invalidation some clients report. API calls with an unknown or expired
// token get 401 with code 124, and a token lacking the operation's scopes
// gets 400 with code 4711.
//
// # Rate limits
//
// Each category (Light for get-a-user and status changes, Medium for
// listings) has one token bucket for the whole account, holding one second's
// worth of requests and shared by every caller and by the simulated
// background traffic. A request over the rate gets 429 with code 429 and
// X-RateLimit-Category, X-RateLimit-Type "QPS", X-RateLimit-Limit and
// X-RateLimit-Remaining, and no Retry-After. Over the daily cap it gets
// X-RateLimit-Type "Daily-limit" and a Retry-After of the next 00:00 UTC in
// RFC 3339. A second call on a user while one is in flight gets 429 with the
// message "Too many concurrent requests." and no rate-limit headers.
//
// # Status changes
//
// Owners, admins and Zoom Rooms are refused with 400 and code 200; a user
// hosting upcoming Zoom Events cannot be deactivated (400, code 300);
// activating a Basic user beyond [Options].BasicCap is refused with 400 and
// code 3412. A pending user, who has not accepted the invitation, cannot
// change status: the sandbox answers 400 with code 1120, Zoom's code for a
// missing invitation, since Zoom does not document this case. Asking for the
// status a user already has succeeds and changes nothing, which Zoom does not
// document either; the stats count such calls. Deactivating a licensed user
// makes the user Basic, so reactivation does not restore the licence.
// Successes answer 200 and 204 in turn, both of which Zoom has sent. A body
// that is not a JSON object gets 400 with code 300 and the message
// "Request Body should be a valid JSON object."; an action other than
// activate or deactivate gets 400 with code 300, "Validation Failed.".
//
// User IDs and addresses are both accepted, addresses in any case. A "+" in a
// path reads as a space, as on servers that decode paths like form values, so
// an address with a plus matches only when the plus is sent as %2B.
//
// # Faults
//
// [Options].FailRate answers a fraction of API calls with a 500 JSON error or
// a 503 HTML page, without effect. [Options].ResetRate drops the connection
// of a fraction of calls without an answer, half before the call takes effect
// and half after; on a listener the connection closes, through Transport the
// call fails with an error wrapping syscall.ECONNRESET. Every answer waits
// for a latency jittered around [Options].Latency and returns early if the
// request's context ends.
//
// # Stats
//
// GET /_sandbox/stats answers [Stats] as JSON, as does [Server.Stats]:
//
//   - requests: requests per HTTP method, token requests included
//   - throttled: 429s sent, of which throttled_daily were over the daily cap
//     and throttled_concurrent were calls on a user already in flight
//   - unauthorized: calls refused for their token
//   - tokens_issued: access tokens issued
//   - gets, lists, status_calls: calls that reached each operation
//   - failures: 5xx sent; resets: connections dropped
//   - users: for every address, its current status, the status calls that
//     reached it (status_calls) and those asking for the status it already
//     had (redundant_status_calls)
//
// POST /_sandbox/reset-daily forgets the requests counted against the daily
// caps, as 00:00 UTC would, and answers 204; [Server.ResetDaily] does the
// same. Tests use it to resume a run stopped by the daily limit without
// waiting for midnight. It leaves the stats as they are.
//
// Every answer carries an x-zm-trackingid header.
package zoomtest
