package convert

// reasons builds a table of fields from groups that share a reason.
func reasons(groups ...[]string) map[string]string {
	out := make(map[string]string)
	for _, g := range groups {
		for _, path := range g[1:] {
			out[path] = g[0]
		}
	}
	return out
}

const (
	storeIdentity  = "identity: kept in store.ObjectMeta, and written into the record by the compiler"
	notInAPI       = "the pomerium.dashboard message has no such field"
	envoyOnly      = "an Envoy health check setting the pomerium.dashboard HealthCheck lacks"
	hostFile       = "names a file on the Pomerium host, which the compiler refuses"
	keptOnUpdate   = notInAPI + "; an import may set it, and an update through the API keeps it (RouteThrough)"
	inlineMaterial = "inline TLS material: the API refers to key pairs (the *_key_pair_id fields) instead"
)

// routeHidden are the fields of the pomerium.config.Route spec that the API
// neither shows nor takes, with the reason. The tests hold it to the
// descriptor, as routeUnconverted is held to the API's.
var routeHidden = reasons(
	[]string{storeIdentity, "id", "namespace_id", "originator_id", "name", "created_at", "modified_at"},
	[]string{"computed by the compiler, which leaves it empty", "namespace_name", "enforced_policies", "assigned_policies"},
	[]string{"access that predates PPL: the API grants access with policies only; an update through it keeps " +
		"these as stored (RouteThrough), like every field it cannot express",
		"allowed_users", "allowed_domains", "allowed_idp_claims",
		"allow_public_unauthenticated_access", "allow_any_authenticated_user"},
	[]string{"inline policies, which the store refuses", "policies", "ppl_policies"},
	[]string{keptOnUpdate, "cors_allow_preflight", "outlier_detection"},
	[]string{notInAPI + " (the older name of tls_upstream_server_name)", "tls_server_name"},
	[]string{inlineMaterial, "tls_custom_ca", "tls_client_cert", "tls_client_key", "tls_downstream_client_ca"},
	[]string{hostFile, "tls_custom_ca_file", "tls_client_cert_file", "tls_client_key_file", "tls_downstream_client_ca_file"},
	[]string{notInAPI, "kubernetes_service_account_token_key_pair_id"},
	[]string{"an inline SSH policy: the API refers to a policy (ssh_policy_id)",
		"upstream_tunnel.ssh_policy", "upstream_tunnel.ssh_policy_rego"},
	[]string{envoyOnly,
		"health_checks.alt_port", "health_checks.reuse_connection", "health_checks.no_traffic_interval",
		"health_checks.no_traffic_healthy_interval", "health_checks.unhealthy_interval",
		"health_checks.unhealthy_edge_interval", "health_checks.healthy_edge_interval",
		"health_checks.always_log_health_check_failures", "health_checks.always_log_health_check_success",
		"health_checks.transport_socket_match_criteria",
		"health_checks.http_health_check.send", "health_checks.http_health_check.receive",
		"health_checks.http_health_check.response_buffer_size",
		"health_checks.http_health_check.request_headers_to_remove"},
)

// settingsHidden are the fields of the pomerium.config.Settings spec that the
// API neither shows nor takes, with the reason.
var settingsHidden = reasons(
	[]string{storeIdentity, "id", "namespace_id", "cluster_id", "originator_id", "name", "created_at", "modified_at"},
	[]string{"the records' own key pair reference; the console lists key pairs in certificate_key_pair_ids", "certificates.id"},
	[]string{notInAPI + " (the API's downstream mTLS is client_ca and client_ca_key_pair_id)",
		"downstream_mtls.crl", "downstream_mtls.enforcement", "downstream_mtls.match_subject_alt_names",
		"downstream_mtls.max_verify_depth"},
	[]string{notInAPI,
		"authenticate_internal_service_url", "signout_redirect_url", "authorize_internal_service_url",
		"override_certificate_name", "derive_tls", "signing_key", "debug_address",
		"metrics_basic_auth", "metrics_certificate", "metrics_client_ca", "metrics_client_ca_key_pair_id",
		"grpc_client_timeout",
		"databroker_cluster_leader_id", "databroker_cluster_node_id", "databroker_cluster_nodes",
		"databroker_internal_service_url", "databroker_raft_bind_address",
		"databroker_storage_type", "databroker_storage_connection_string",
		"use_proxy_protocol",
		"autocert_ca", "autocert_ca_key_pair_id", "autocert_email", "autocert_eab_key_id", "autocert_eab_mac_key",
		"autocert_trusted_ca", "autocert_trusted_ca_key_pair_id",
		"xff_num_trusted_hops",
		"envoy_admin_access_log_path", "envoy_admin_profile_path", "envoy_admin_address",
		"envoy_bind_config_source_address", "envoy_bind_config_freebind",
		"programmatic_redirect_domain_whitelist", "runtime_flags", "http3_advertise_port",
		"ssh_host_key_pair_ids", "ssh_user_ca_key_pair_id"},
)
