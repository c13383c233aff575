package wirespec

import (
	"path"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// serviceProblems compares every rpc of ours with the table: the method's
// presence, its request and response types and whether either is
// streamed. A service also has to live in the file of the table's request
// messages it takes, which keeps each file's contract in one place.
func (c *checker) serviceProblems(r *report) {
	tableMethods := make(map[protoreflect.FullName]bool)
	missingServices := make(map[protoreflect.FullName]bool)
	files := make(map[protoreflect.FullName]string)
	for _, m := range c.spec.messages {
		files[m.name] = m.file
	}
	for _, want := range c.spec.rpcs {
		tableMethods[want.service.Append(want.method)] = true
		sd, ok := c.ours.services[want.service]
		if !ok {
			if !missingServices[want.service] {
				r.add("service %s (line %d) is missing", want.service, want.line)
			}
			missingServices[want.service] = true
			continue
		}
		if file := files[want.request.message]; file != "" {
			if got := path.Base(sd.ParentFile().Path()); got != file {
				r.add("service %s is declared in %s, but %s takes %s from %s", want.service, got, want.method, want.request.message, file)
			}
		}
		md := sd.Methods().ByName(want.method)
		if md == nil {
			r.add("rpc %s/%s (line %d) is missing", want.service, want.method, want.line)
			continue
		}
		if got := describeStream(md.Input(), md.IsStreamingClient()); got != want.request {
			r.add("rpc %s/%s: request %s, the table says %s (line %d)", want.service, want.method, got, want.request, want.line)
		}
		if got := describeStream(md.Output(), md.IsStreamingServer()); got != want.response {
			r.add("rpc %s/%s: response %s, the table says %s (line %d)", want.service, want.method, got, want.response, want.line)
		}
	}
	listed := tableServices(c.spec)
	for _, name := range sortedKeys(c.ours.services) {
		if !listed[name] {
			r.add("service %s is not in the table%s", name, c.elsewhereHint())
			continue
		}
		methods := c.ours.services[name].Methods()
		for i := range methods.Len() {
			if md := methods.Get(i); !tableMethods[md.FullName()] {
				r.add("rpc %s/%s is not in the table%s", name, md.Name(), c.elsewhereHint())
			}
		}
	}
}

func describeStream(md protoreflect.MessageDescriptor, streaming bool) specStream {
	return specStream{message: md.FullName(), streaming: streaming}
}

func tableServices(spec *Spec) map[protoreflect.FullName]bool {
	services := make(map[protoreflect.FullName]bool)
	for _, r := range spec.rpcs {
		services[r.service] = true
	}
	return services
}
