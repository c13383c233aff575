// Package packaging holds the material of the console's .deb and .rpm
// packages (nfpm.yaml, the maintainer scripts, the sysusers.d and tmpfiles.d
// entries; the unit is in config/systemd and the config file is
// config/example.yaml) and their tests, which build the packages with
// hack/packages and use them as an administrator would: the .deb installed
// with dpkg into a throwaway root, its unit checked by systemd-analyze, the
// installed console started as the unit starts it, the .rpm read with rpm.
//
// The package has no Go code besides its tests; nothing imports it.
package packaging
