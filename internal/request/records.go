package request

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Kinds of invocation.
const (
	KindReport = "report" // a report request (direct or HTTP)
	KindS3     = "s3"     // an S3 notification: objects to ingest
	KindSQS    = "sqs"    // SQS messages carrying S3 notifications
)

// Kind tells what a payload is, from its top-level Records, if any.
func Kind(payload []byte) string {
	var probe struct {
		Records []struct {
			EventSource  string `json:"eventSource"`
			EventSource2 string `json:"EventSource"`
		} `json:"Records"`
	}
	if json.Unmarshal(payload, &probe) != nil || len(probe.Records) == 0 {
		return KindReport
	}
	switch probe.Records[0].EventSource + probe.Records[0].EventSource2 {
	case "aws:s3":
		return KindS3
	case "aws:sqs":
		return KindSQS
	}
	return KindReport
}

// CreatedObject is an object an S3 notification says was created.
type CreatedObject struct {
	Bucket string
	Key    string // decoded: S3 notifications URL-encode keys
	Size   int64
}

// S3Objects returns the created objects of an S3 notification; other
// event types (deletions, …) are skipped.
func S3Objects(payload []byte) ([]CreatedObject, error) {
	var ev events.S3Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fieldErr("Records", "is not an S3 notification: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	var out []CreatedObject
	for i, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("Records[%d].s3.object.key", i), "is not URL-encoded as S3 writes it")
		}
		if r.S3.Bucket.Name == "" || key == "" {
			return nil, fieldErr(fmt.Sprintf("Records[%d].s3", i), "names no bucket or key")
		}
		out = append(out, CreatedObject{Bucket: r.S3.Bucket.Name, Key: key, Size: r.S3.Object.Size})
	}
	return out, nil
}

// SQSMessage is one message of an SQS batch with the objects its body
// announces (an S3 notification), or the reason it has none.
type SQSMessage struct {
	ID      string
	Objects []CreatedObject
	Err     error // the body is not an S3 notification: retrying will not help
}

// SQSMessages decodes an SQS batch whose bodies are S3 notifications.
func SQSMessages(payload []byte) ([]SQSMessage, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fieldErr("Records", "is not an SQS event: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	out := make([]SQSMessage, 0, len(ev.Records))
	for _, m := range ev.Records {
		msg := SQSMessage{ID: m.MessageId}
		if Kind([]byte(m.Body)) == KindS3 {
			msg.Objects, msg.Err = S3Objects([]byte(m.Body))
		} else if !strings.Contains(m.Body, `"s3:TestEvent"`) {
			msg.Err = fieldErr("body", "is not an S3 notification")
		}
		out = append(out, msg)
	}
	return out, nil
}
