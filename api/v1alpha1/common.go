package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// NamespaceRef names a console namespace (not a Kubernetes namespace):
// by path of names from the Global namespace, such as "Global/Production",
// or by id. Exactly one is set.
//
// +kubebuilder:validation:XValidation:rule="has(self.path) != has(self.id)",message="set exactly one of path and id"
type NamespaceRef struct {
	// Path is the namespace's name and those of the namespaces above it,
	// separated by "/", starting with "Global" (which may be left out).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Path string `json:"path,omitempty"`
	// ID is the namespace's id, a UUID.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	ID string `json:"id,omitempty"`
}

// Condition types of every kind.
const (
	// ConditionReady is true when the object is in the console's store and,
	// for kinds that become databroker records, written to the databroker.
	ConditionReady = "Ready"
	// ConditionSynced is true when the console's store holds the object's
	// current generation.
	ConditionSynced = "Synced"
)

// Status is what the console reports on every kind.
type Status struct {
	// ObservedGeneration is the generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// ConsoleID is the id of the object in the console's store.
	// +optional
	ConsoleID string `json:"consoleID,omitempty"`
	// RecordVersion is the version of the object's databroker record once
	// written.
	// +optional
	RecordVersion int64 `json:"recordVersion,omitempty"`
	// Conditions are Ready and Synced.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
