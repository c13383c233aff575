package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/internal/hostile"
	"github.com/pomerium-console/pomerium-console/store"
)

// hostileBound is how long the API may take to answer one hostile request,
// per started MiB of the request: the largest are read whole before they
// are refused, which on two busy cores takes seconds.
const hostileBound = 2 * time.Second

// boundFor is the time a request of n bytes may take.
func boundFor(n int) time.Duration { return hostileBound * time.Duration(1+n/hostile.MiB) }

// hostileCall is one hostile value put in one request: the method, the
// fields of the message (by number for gRPC, by JSON name for Connect),
// the field of the object that holds the value, and how to read the value
// back from the answer.
type hostileCall struct {
	method string
	// wrap is the field number of the request that holds the object, 0
	// when the fields are the request's own.
	wrap   protowire.Number
	fields []hostileField
	// read returns the stored value from the answer's wire bytes.
	read func(answer []byte) (string, error)
}

type hostileField struct {
	num   protowire.Number
	json  string
	value string
	// enum marks the key pair's format, a varint on the wire (PEM, 1).
	enum bool
	// bytes marks a bytes field, base64 in JSON.
	bytes bool
}

// hostileCallFor puts the value of an item in the request its slot
// belongs to; n makes names unique within one console.
func hostileCallFor(slot hostile.Slot, value, namespaceID string, n int) hostileCall {
	name := fmt.Sprintf("hostile-%d", n)
	policy := func(name, ppl string) hostileCall {
		return hostileCall{method: "/pomerium.dashboard.PolicyService/SetPolicy", wrap: 1,
			fields: []hostileField{{5, "name", name, false, false}, {10, "namespaceId", namespaceID, false, false}, {15, "ppl", ppl, false, false}},
			read: func(b []byte) (string, error) {
				var res pb.SetPolicyResponse
				err := proto.Unmarshal(b, &res)
				if slot == hostile.Name {
					return res.GetPolicy().GetName(), err
				}
				return res.GetPolicy().GetPpl(), err
			}}
	}
	route := func(from, regex string) hostileCall {
		fields := []hostileField{{5, "name", name, false, false}, {29, "namespaceId", namespaceID, false, false},
			{6, "from", from, false, false}, {7, "to", "https://upstream.internal", false, false}}
		if regex != "" {
			fields = append(fields, hostileField{10, "regex", regex, false, false})
		}
		return hostileCall{method: "/pomerium.dashboard.RouteService/SetRoute", wrap: 1, fields: fields,
			read: func(b []byte) (string, error) {
				var res pb.SetRouteResponse
				err := proto.Unmarshal(b, &res)
				if slot == hostile.Regex {
					return res.GetRoute().GetRegex(), err
				}
				return res.GetRoute().GetFrom(), err
			}}
	}
	switch slot {
	case hostile.Name:
		return policy(value, allowAllPPL)
	case hostile.PPL:
		return policy(name, value)
	case hostile.From:
		return route(value, "")
	case hostile.Regex:
		return route(fmt.Sprintf("https://%s.example.com", name), value)
	case hostile.Certificate:
		return hostileCall{method: "/pomerium.dashboard.KeyChainService/CreateKeyPair",
			fields: []hostileField{{1, "name", name, false, false}, {2, "namespaceId", namespaceID, false, false},
				{3, "format", "PEM", true, false}, {4, "certificate", value, false, true}},
			read: func(b []byte) (string, error) {
				var res pb.CreateKeyPairResponse
				err := proto.Unmarshal(b, &res)
				return string(res.GetKeyPair().GetCertificate()), err
			}}
	}
	panic("no request for slot " + string(slot))
}

const allowAllPPL = "allow:\n  or:\n    - accept: true\n"

// wire encodes the request as protobuf, strings as they are: a client
// library would refuse to send invalid UTF-8, a hostile client does not.
func (c hostileCall) wire() []byte {
	var msg []byte
	for _, f := range c.fields {
		if f.enum {
			msg = protowire.AppendTag(msg, f.num, protowire.VarintType)
			msg = protowire.AppendVarint(msg, 1)
			continue
		}
		msg = protowire.AppendTag(msg, f.num, protowire.BytesType)
		msg = protowire.AppendString(msg, f.value)
	}
	if c.wrap == 0 {
		return msg
	}
	out := protowire.AppendTag(nil, c.wrap, protowire.BytesType)
	return protowire.AppendBytes(out, msg)
}

// json encodes the request as Connect's JSON, strings byte for byte
// (encoding/json would replace invalid UTF-8).
func (c hostileCall) json() []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for i, f := range c.fields {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:", f.json)
		switch {
		case f.enum:
			fmt.Fprintf(&b, "%q", f.value)
		case f.json == "to":
			b.WriteString("[")
			rawJSONString(&b, f.value)
			b.WriteString("]")
		case f.bytes:
			enc, _ := json.Marshal([]byte(f.value)) // a []byte always marshals
			b.Write(enc)
		default:
			rawJSONString(&b, f.value)
		}
	}
	b.WriteString("}")
	if c.wrap == 0 {
		return b.Bytes()
	}
	key := map[string]string{"/pomerium.dashboard.PolicyService/SetPolicy": "policy", "/pomerium.dashboard.RouteService/SetRoute": "route"}[c.method]
	return []byte(fmt.Sprintf("{%q:%s}", key, b.Bytes()))
}

func rawJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := range len(s) {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// rawCodec sends and receives messages as the bytes they are.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

// hostileAnswer is what one transport said: a code ("ok" or the
// lower-case gRPC code name), the message, and the answer's bytes.
type hostileAnswer struct {
	code, message string
	wire          []byte
}

func (e *env) sendGRPC(ctx context.Context, token, method string, body []byte) hostileAnswer {
	var out []byte
	err := e.conn.Invoke(as(ctx, token), method, &body, &out, grpc.ForceCodecV2(rawCodec{}), grpc.MaxCallSendMsgSize(128<<20))
	if err != nil {
		s := status.Convert(err)
		return hostileAnswer{code: codeName(s.Code()), message: s.Message()}
	}
	return hostileAnswer{code: "ok", wire: out}
}

func codeName(c codes.Code) string {
	return map[codes.Code]string{codes.InvalidArgument: "invalid_argument", codes.ResourceExhausted: "resource_exhausted"}[c] + "(" + c.String() + ")"
}

func (e *env) sendConnect(ctx context.Context, token, method string, body []byte) (hostileAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url+method, bytes.NewReader(body))
	if err != nil {
		return hostileAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := e.http.Do(req)
	if err != nil {
		return hostileAnswer{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return hostileAnswer{}, err
	}
	if res.StatusCode != http.StatusOK {
		var ce struct{ Code, Message string }
		if err := json.Unmarshal(data, &ce); err != nil {
			return hostileAnswer{}, fmt.Errorf("HTTP %d: %s", res.StatusCode, data)
		}
		return hostileAnswer{code: ce.Code + fmt.Sprintf("(HTTP %d)", res.StatusCode), message: ce.Message}, nil
	}
	return hostileAnswer{code: "ok", wire: data}, nil
}

// TestHostileInputThroughTheAPI sends every item of the hostile corpus
// through the gRPC API and the Connect JSON surface: each is refused with
// InvalidArgument naming its field (or ResourceExhausted past the request
// size limit), changing nothing, or stored and read back equal, and every
// answer comes within hostileBound.
func TestHostileInputThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.adminToken()
	slots := []hostile.Slot{hostile.Name, hostile.From, hostile.PPL, hostile.Regex, hostile.Certificate}
	n := 0
	for _, transport := range transports {
		// Names stored through one transport are taken in its namespace.
		ns := e.namespace(store.GlobalNamespaceID, transport)
		for _, slot := range slots {
			for _, it := range hostile.Items(slot) {
				n++
				call := hostileCallFor(slot, it.Value(), ns.ID, n)
				t.Run(transport+"/"+it.Label, func(t *testing.T) {
					e.checkHostile(t, transport, token, call, it, string(slot))
				})
			}
		}
		for _, it := range hostile.Items(hostile.Body) {
			t.Run(transport+"/"+it.Label, func(t *testing.T) {
				before := e.version(t)
				body := []byte(it.Value())
				start := time.Now()
				ans := e.send(t, transport, token, "/pomerium.dashboard.PolicyService/SetPolicy", body)
				elapsed := time.Since(start)
				want := "invalid_argument"
				if len(body) > 32<<20 {
					want = "resource_exhausted"
				}
				if !strings.HasPrefix(ans.code, want) {
					t.Errorf("answered %s %q, want %s", ans.code, ans.message, want)
				}
				if elapsed > boundFor(len(body)) {
					t.Errorf("answered in %v", elapsed)
				}
				if after := e.version(t); after != before {
					t.Errorf("store version %d after a refusal, was %d", after, before)
				}
			})
		}
	}
}

func (e *env) send(t *testing.T, transport, token, method string, body []byte) hostileAnswer {
	t.Helper()
	if transport == "grpc" {
		return e.sendGRPC(t.Context(), token, method, body)
	}
	ans, err := e.sendConnect(t.Context(), token, method, body)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

func (e *env) version(t *testing.T) int64 {
	t.Helper()
	v, err := e.store.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) checkHostile(t *testing.T, transport, token string, call hostileCall, it hostile.Item, field string) {
	t.Helper()
	before := e.version(t)
	body := call.wire()
	if transport != "grpc" {
		body = call.json()
	}
	start := time.Now()
	ans := e.send(t, transport, token, call.method, body)
	if elapsed := time.Since(start); elapsed > boundFor(len(body)) {
		t.Errorf("answered in %v, more than %v", elapsed, boundFor(len(body)))
	}
	after := e.version(t)
	if it.Want == hostile.Refuse {
		if !strings.HasPrefix(ans.code, "invalid_argument") || !strings.Contains(ans.message, field) {
			t.Errorf("answered %s %.300q, want invalid_argument naming %s", ans.code, ans.message, field)
		}
		if after != before {
			t.Errorf("store version %d after a refusal, was %d", after, before)
		}
		return
	}
	if ans.code != "ok" {
		t.Fatalf("answered %s %.300q, want it stored", ans.code, ans.message)
	}
	wire := ans.wire
	if transport != "grpc" {
		wire = jsonAnswerToWire(t, call.method, wire)
	}
	got, err := call.read(wire)
	if err != nil {
		t.Fatal(err)
	}
	if got != it.Value() {
		t.Errorf("read back %.200q, sent %.200q", got, it.Value())
	}
	if after <= before {
		t.Errorf("store version %d after a write, was %d", after, before)
	}
}

// jsonAnswerToWire decodes a Connect JSON answer and encodes it as
// protobuf, so that one reader serves both transports.
func jsonAnswerToWire(t *testing.T, method string, data []byte) []byte {
	t.Helper()
	var msg proto.Message
	switch {
	case strings.HasSuffix(method, "/SetPolicy"):
		msg = &pb.SetPolicyResponse{}
	case strings.HasSuffix(method, "/SetRoute"):
		msg = &pb.SetRouteResponse{}
	default:
		msg = &pb.CreateKeyPairResponse{}
	}
	if err := protojson.Unmarshal(data, msg); err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
