package store

// Add files obj under its kind; the default cluster's Settings replace the
// settings.
func (s *State) Add(obj Object) {
	switch o := obj.(type) {
	case *Namespace:
		s.Namespaces = append(s.Namespaces, o)
	case *Policy:
		s.Policies = append(s.Policies, o)
	case *Route:
		s.Routes = append(s.Routes, o)
	case *Settings:
		if o.ID == SettingsID {
			s.Settings = o
		} else {
			s.ClusterSettings = append(s.ClusterSettings, o)
		}
	case *Cluster:
		s.Clusters = append(s.Clusters, o)
	case *DataSource:
		s.DataSources = append(s.DataSources, o)
	case *KeyPair:
		s.KeyPairs = append(s.KeyPairs, o)
	case *ServiceAccount:
		s.ServiceAccounts = append(s.ServiceAccounts, o)
	case *NamespacePermission:
		s.Permissions = append(s.Permissions, o)
	}
}

// Objects returns every object of the state, kind by kind in the order of
// Kinds. Settings at version 0 (never written) are left out.
func (s *State) Objects() []Object {
	var out []Object
	for _, o := range s.Namespaces {
		out = append(out, o)
	}
	for _, o := range s.Clusters {
		out = append(out, o)
	}
	if s.Settings != nil && s.Settings.Version > 0 {
		out = append(out, s.Settings)
	}
	for _, o := range s.ClusterSettings {
		out = append(out, o)
	}
	for _, o := range s.KeyPairs {
		out = append(out, o)
	}
	for _, o := range s.Policies {
		out = append(out, o)
	}
	for _, o := range s.Routes {
		out = append(out, o)
	}
	for _, o := range s.DataSources {
		out = append(out, o)
	}
	for _, o := range s.ServiceAccounts {
		out = append(out, o)
	}
	for _, o := range s.Permissions {
		out = append(out, o)
	}
	return out
}
