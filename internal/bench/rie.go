package bench

import (
	"bytes"
	"fmt"

	"lambduck/internal/rie"
)

// startEmulator runs bootstrap under aws-lambda-rie with only env (and a
// 300 s function timeout).
func startEmulator(bin, bootstrap, dir string, env []string) (*rie.Emulator, error) {
	return rie.Start(rie.Options{Emulator: bin, Bootstrap: bootstrap, Dir: dir,
		Env: append([]string{"AWS_LAMBDA_FUNCTION_TIMEOUT=300"}, env...)})
}

// invoke returns the function's answer; anything but statusCode 200 is an error.
func invoke(e *rie.Emulator, event string) (string, error) {
	b, err := e.Invoke(event)
	if err == nil && !bytes.Contains(b, []byte(`"statusCode":200`)) {
		err = fmt.Errorf("invoke: %.300s", b)
	}
	return string(b), err
}
