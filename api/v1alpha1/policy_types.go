package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// PolicySpec is a policy of the console: a PPL document, optionally
// enforced on every route of its console namespace and the namespaces
// below it.
type PolicySpec struct {
	// Namespace is the console namespace the policy lives in.
	Namespace NamespaceRef `json:"namespace"`
	// Name is the policy's name in the console; default metadata.name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`
	// Description says what the policy is for.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`
	// PPL is the policy in Pomerium Policy Language, YAML or JSON.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=262144
	PPL string `json:"ppl"`
	// Enforced applies the policy to every route of its namespace and the
	// namespaces below it.
	// +optional
	Enforced bool `json:"enforced,omitempty"`
	// Explanation is shown to users the policy denies.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Explanation string `json:"explanation,omitempty"`
	// Remediation tells denied users what to do.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Remediation string `json:"remediation,omitempty"`
}

// Policy is a console policy managed from Kubernetes.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=pomerium
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Enforced",type=boolean,JSONPath=`.spec.enforced`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Policy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PolicySpec `json:"spec"`
	Status Status     `json:"status,omitempty"`
}

// PolicyList is a list of policies.
//
// +kubebuilder:object:root=true
type PolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Policy `json:"items"`
}
