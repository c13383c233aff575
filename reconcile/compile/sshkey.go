package compile

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// sshKeyTypes are the public key and certificate types an authorized_keys
// line may declare.
var sshKeyTypes = map[string]bool{
	"ssh-rsa":                                     true,
	"ssh-dss":                                     true,
	"ssh-ed25519":                                 true,
	"ecdsa-sha2-nistp256":                         true,
	"ecdsa-sha2-nistp384":                         true,
	"ecdsa-sha2-nistp521":                         true,
	"sk-ecdsa-sha2-nistp256@openssh.com":          true,
	"sk-ssh-ed25519@openssh.com":                  true,
	"ssh-rsa-cert-v01@openssh.com":                true,
	"ssh-dss-cert-v01@openssh.com":                true,
	"ssh-ed25519-cert-v01@openssh.com":            true,
	"ecdsa-sha2-nistp256-cert-v01@openssh.com":    true,
	"ecdsa-sha2-nistp384-cert-v01@openssh.com":    true,
	"ecdsa-sha2-nistp521-cert-v01@openssh.com":    true,
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": true,
	"sk-ssh-ed25519-cert-v01@openssh.com":         true,
}

// checkAuthorizedKey checks that s holds a line in authorized_keys format
// ([options] type base64-key [comment]) whose key blob declares the same
// type, as ssh.ParseAuthorizedKey requires before Pomerium accepts the
// ssh_publickey and ssh_ca criteria. The key material itself is not parsed.
func checkAuthorizedKey(path, s string) error {
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if sshKeyFields(strings.Fields(line)) || sshKeyFields(strings.Fields(skipSSHOptions(line))) {
			return nil
		}
	}
	return pplErrorf(path, "%q is not an SSH public key in authorized_keys format", s)
}

func sshKeyFields(fields []string) bool {
	if len(fields) < 2 || !sshKeyTypes[fields[0]] {
		return false
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil || len(blob) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(blob)
	return uint64(n) < uint64(len(blob)-4) && string(blob[4:4+n]) == fields[0]
}

// skipSSHOptions drops the leading options field (which may hold quoted
// spaces) of an authorized_keys line.
func skipSSHOptions(line string) string {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch b := line[i]; {
		case b == '"' && (i == 0 || line[i-1] != '\\'):
			inQuote = !inQuote
		case !inQuote && (b == ' ' || b == '\t'):
			return line[i:]
		}
	}
	return ""
}
