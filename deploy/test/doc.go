// Package deploytest holds the tests of the Kubernetes install paths: the
// kustomize overlays under config/overlays and the Helm chart under
// deploy/helm/pomerium-console. Each is installed into one real
// kube-apiserver (hack/kubetest) the way a user installs it (kubectl apply
// -k; Helm's own install action), and what it created is read back: the
// workload, its probes, security context and secrets, the RBAC the console's
// service account is granted (as SubjectAccessReviews), and a pod made from
// its template, which the API server's Pod Security admission must accept
// under "restricted".
//
// It is a Go module of its own so that Helm and the Prometheus Operator's
// API types, which only these tests use, stay out of the console's module
// graph. `make test` runs it; `make lint` vets it.
//
// It has no code outside its tests and nothing may import it.
package deploytest
