// Package handler is where a request enters and a response leaves.
//
// Its core, Answer, takes a decoded request and returns a typed Result:
// it finds the report (package report), chooses the files (package store),
// runs the SQL in a locked instance (package engine) and keeps the rows
// inline or exports them to the output root (package storage). The faces
// only encode: Handle and Invoke turn events into the
// {"statusCode", "headers", "body"} shape that direct invocation, Function
// URLs and API Gateway all accept (lambda.go), and the CLI prints the same
// Result as a table. S3 notifications, direct or in SQS messages, are
// ingested (events.go).
//
// New builds the handler from the configuration, the same way for the
// Lambda function and the CLI; Close releases what it holds.
package handler
