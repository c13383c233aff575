package webtest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// Response is one answer the browser got.
type Response struct {
	t      interface{ Fatalf(string, ...any) }
	Status int
	Header http.Header
	Body   []byte
	doc    *goquery.Document
}

// Location is where a redirect points.
func (r *Response) Location() string { return r.Header.Get("Location") }

// Text is the body as text.
func (r *Response) Text() string { return string(r.Body) }

// Source is the body as text without what differs from run to run or
// from build to build: the CSRF token (random per store and browser) and
// the integrity attributes of the page's scripts and styles. A test that a
// short text is not on a page looks here: random base64 holds any text of
// three or four characters now and then.
func (r *Response) Source() string {
	s := integrityAttr.ReplaceAllString(string(r.Body), "")
	if tok := r.CSRF(); tok != "" {
		s = strings.ReplaceAll(s, tok, "")
	}
	return s
}

var integrityAttr = regexp.MustCompile(`\sintegrity="[^"]*"`)

// Doc is the body parsed as HTML.
func (r *Response) Doc() *goquery.Document {
	if r.doc == nil {
		d, err := goquery.NewDocumentFromReader(bytes.NewReader(r.Body))
		if err != nil {
			r.t.Fatalf("parse HTML: %v", err)
		}
		r.doc = d
	}
	return r.doc
}

// Find selects elements of the page.
func (r *Response) Find(selector string) *goquery.Selection { return r.Doc().Find(selector) }

// CSRF is the CSRF token the page carries: a form's field or, on pages
// of a signed-in viewer, the body's htmx headers.
func (r *Response) CSRF() string {
	if v, ok := r.Find(`input[name="csrf_token"]`).First().Attr("value"); ok {
		return v
	}
	if h, ok := r.Find("body").Attr("hx-headers"); ok {
		_, rest, _ := strings.Cut(h, `"X-CSRF-Token":"`)
		tok, _, _ := strings.Cut(rest, `"`)
		return tok
	}
	return ""
}

// Do sends a request made by hand (for headers the other methods do not
// set), with the browser's cookies and assertion.
func (b *Browser) Do(req *http.Request) *Response { return b.do(req) }

func (b *Browser) do(req *http.Request) *Response {
	b.env.T.Helper()
	if b.assertion != "" {
		req.Header.Set("X-Pomerium-Jwt-Assertion", b.assertion)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.env.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.env.T.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	out := &Response{t: b.env.T, Status: res.StatusCode, Header: res.Header, Body: body}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if tok := out.CSRF(); tok != "" {
			b.csrf = tok
		}
	}
	return out
}

func (b *Browser) request(method, path string, body io.Reader) *http.Request {
	b.env.T.Helper()
	req, err := http.NewRequestWithContext(b.env.T.Context(), method, b.env.URL+path, body)
	if err != nil {
		b.env.T.Fatal(err)
	}
	return req
}

// Get fetches a page.
func (b *Browser) Get(path string) *Response { return b.do(b.request(http.MethodGet, path, nil)) }

// HTMX fetches a page as htmx does for a partial update.
func (b *Browser) HTMX(method, path string, form url.Values) *Response {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(b.withToken(form).Encode())
	}
	req := b.request(method, path, body)
	req.Header.Set("HX-Request", "true")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.do(req)
}

// token returns the CSRF token of the browser's session, fetching a page
// for it when no page has shown one yet.
func (b *Browser) token() string {
	if b.csrf == "" {
		b.Get("/status")
	}
	return b.csrf
}

func (b *Browser) withToken(form url.Values) url.Values {
	if _, ok := form["csrf_token"]; !ok {
		form = cloneForm(form)
		form.Set("csrf_token", b.token())
	}
	return form
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Post submits a url-encoded form, with the session's CSRF token unless
// the form sets csrf_token itself (to test a wrong or missing one, set it
// to "" or a bad value).
func (b *Browser) Post(path string, form url.Values) *Response {
	req := b.request(http.MethodPost, path, strings.NewReader(b.withToken(form).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// PostMultipart submits a multipart form with files (field name to
// content), as a file upload does.
func (b *Browser) PostMultipart(path string, form url.Values, files map[string]string) *Response {
	b.env.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range b.withToken(form) {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				b.env.T.Fatal(err)
			}
		}
	}
	for field, content := range files {
		fw, err := mw.CreateFormFile(field, field+".pem")
		if err != nil {
			b.env.T.Fatal(err)
		}
		if _, err := io.WriteString(fw, content); err != nil {
			b.env.T.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		b.env.T.Fatal(err)
	}
	req := b.request(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// Follow fetches where a redirect points.
func (b *Browser) Follow(r *Response) *Response {
	b.env.T.Helper()
	if r.Status < 300 || r.Status > 399 {
		b.env.T.Fatalf("not a redirect: %d %s", r.Status, r.Text())
	}
	return b.Get(r.Location())
}
