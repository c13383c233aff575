// Package english words counts in the messages people read: "1 route",
// "3 routes".
package english

import "strconv"

// Plural is n and a noun, with an s unless n is 1.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
