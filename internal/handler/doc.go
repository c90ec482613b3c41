// Package handler is where a request enters and a response leaves. It reads
// the event (package request), finds the report (package report), chooses
// the files (package store), runs the SQL (package engine) and returns the
// result inline or as an export (package output), in the
// {"statusCode", "headers", "body"} shape that direct invocation, Function
// URLs and API Gateway all accept.
//
// The same Handler serves the Lambda runtime (it implements
// lambda.Handler) and the CLI's in-process invoke.
package handler
