// Command lambduck is both faces of lambduck: started by the Lambda runtime
// (AWS_LAMBDA_RUNTIME_API set) it serves invocations; anywhere else it is the
// command-line tool. See the README.
package main

import (
	"os"

	"lambduck/internal/cli"
	_ "lambduck/internal/compat" // glibc 2.34 compatibility of the bootstrap
	"lambduck/internal/handler"
)

func main() {
	if _, ok := os.LookupEnv("AWS_LAMBDA_RUNTIME_API"); ok {
		handler.StartLambda()
		return
	}
	os.Exit(cli.Main(os.Args[1:]))
}
