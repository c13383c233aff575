package ui

import (
	"net/http"
	"net/url"
)

const noticeCookie = "console_notice"

// Redirect answers a form with 303 See Other to location, carrying notice
// to the next page shown (post/redirect/get). The notice travels in a
// short-lived cookie so that it is not left in the URL.
func Redirect(w http.ResponseWriter, r *http.Request, location, notice string) {
	if notice != "" {
		http.SetCookie(w, &http.Cookie{
			Name: noticeCookie, Value: url.QueryEscape(notice), Path: "/", MaxAge: 60,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
		})
	}
	http.Redirect(w, r, location, http.StatusSeeOther)
}

// TakeNotice returns the notice Redirect left and clears it.
func TakeNotice(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	notice, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	return notice
}
