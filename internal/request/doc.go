// Package request turns an invocation payload into a validated report
// request. It accepts the direct event (docs/architecture.md) and the same fields
// carried by a Function URL or API Gateway HTTP event (JSON body or query
// string). Every mistake is an *Error naming the field, which the handler
// answers with 400.
package request
