package compile

import (
	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// policyEntry is a policy with the outcome of its validation.
type policyEntry struct {
	policy *store.Policy
	err    *fieldError
}

// invalidReason explains why an object referencing the policy cannot be
// compiled, or returns "" for a valid policy.
func (p *policyEntry) invalidReason() string {
	if p.err == nil {
		return ""
	}
	return "policy " + describe(p.policy.Name, p.policy.ID) + " is invalid: " + p.err.Error()
}

// compilePolicies validates every policy and emits the valid ones. It runs
// before routes, which refuse to reference an invalid policy: Pomerium would
// serve such a route with the policy silently dropped.
func (c *compiler) compilePolicies() {
	for _, p := range c.st.Policies {
		entry := &policyEntry{policy: p}
		c.policies[p.ID] = entry
		entry.err = c.validatePolicy(p)
		if entry.err == nil {
			entry.err = c.emitPolicy(p)
		}
		if entry.err != nil {
			c.setStatus(store.KindPolicy, p.ID, entry.err.status())
			continue
		}
		c.setStatus(store.KindPolicy, p.ID, validStatus())
	}
	c.indexEnforced()
}

func (c *compiler) validatePolicy(p *store.Policy) *fieldError {
	if _, err := c.placement(p.NamespaceID); err != nil {
		return err
	}
	if err := c.validatePPL(p.PPL); err != nil {
		return &fieldError{field: "ppl", reason: err.Error()}
	}
	return nil
}

// emitPolicy writes the policy record. Pomerium v0.33.0 compiles source_ppl
// into Rego itself when rego is empty (internal/databroker/config_bundle.go,
// snapshotPolicy), so the console sends the PPL text and leaves rego and the
// legacy allowed_* lists empty; enforced is informational, since Pomerium
// applies a policy only to routes whose policy_ids name it.
func (c *compiler) emitPolicy(p *store.Policy) *fieldError {
	msg := &configpb.Policy{
		Id:            &p.ID,
		NamespaceId:   &p.NamespaceID,
		OriginatorId:  new(OriginatorID),
		Name:          &p.Name,
		Description:   optional(p.Description),
		Enforced:      new(p.Enforced),
		SourcePpl:     &p.PPL,
		Explanation:   optional(p.Explanation),
		Remediation:   optional(p.Remediation),
		CreatedAt:     timestamp(p.CreatedAt),
		ModifiedAt:    timestamp(p.ModifiedAt),
		NamespaceName: c.namespaceName(p.NamespaceID),
	}
	rec, err := newRecord(RecordTypePolicy, p.ID, msg)
	if err != nil {
		return fieldErrorf("", "cannot be encoded: %v", err)
	}
	c.emit(store.KindPolicy, rec)
	return nil
}

func (c *compiler) namespaceName(id string) *string {
	if node, ok := c.namespaces[id]; ok {
		return optional(node.ns.Name)
	}
	return nil
}
