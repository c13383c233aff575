package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ConsoleNamespaceSpec is a namespace of the console: a node of the tree
// under the Global namespace that routes, policies and permissions live in.
// It is not a Kubernetes namespace.
type ConsoleNamespaceSpec struct {
	// Name is the namespace's name in the console; default metadata.name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[^/]+$`
	Name string `json:"name,omitempty"`
	// Parent is the console namespace it hangs from; default the Global
	// namespace.
	// +optional
	Parent *NamespaceRef `json:"parent,omitempty"`
}

// ConsoleNamespace is a console namespace managed from Kubernetes. Console
// namespaces are one tree for the whole console, so the resource is
// cluster-scoped.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories=pomerium,shortName=cns
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ConsoleNamespace struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ConsoleNamespaceSpec `json:"spec,omitempty"`
	Status Status               `json:"status,omitempty"`
}

// ConsoleNamespaceList is a list of console namespaces.
//
// +kubebuilder:object:root=true
type ConsoleNamespaceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ConsoleNamespace `json:"items"`
}
