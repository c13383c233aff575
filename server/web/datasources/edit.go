package datasources

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// addForm is the form that adds a data source to the cluster the query
// names (the viewer's first cluster when it names none), or a refusal.
func (s *screen) addForm(r *http.Request, id string) (*formData, error) {
	all, err := s.clusters(r, ui.ViewerFrom(r.Context()))
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, manage.Refuse(manage.CodePermissionDenied, "", "adding a data source needs the admin role in a cluster's namespace (the Global namespace for the default cluster)")
	}
	c := all[0]
	if id != "" {
		i := slices.IndexFunc(all, func(c cluster) bool { return c.ID == id })
		if i < 0 {
			return nil, manage.Refuse(manage.CodeNotFound, fieldCluster, "no cluster %s whose data sources you may manage", id)
		}
		c = all[i]
	}
	d := &formData{Form: ui.NewForm(), Action: "/data-sources/new", Cluster: c}
	d.Form.Values[fieldCluster] = c.ID
	return d, nil
}

func (s *screen) newForm(w http.ResponseWriter, r *http.Request) {
	d, err := s.addForm(r, r.URL.Query().Get("cluster"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, http.StatusOK, newPage, ui.Page{Title: "Add a data source", Nav: ui.NavDataSources, Data: d})
}

// create adds the data source the form describes or, for "Test fetch",
// only fetches it once and shows the form again with a preview.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	d, err := s.addForm(r, r.PostFormValue(fieldCluster))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	page := ui.Page{Title: "Add a data source", Nav: ui.NavDataSources, Data: d}
	ds := readForm(r, d.Form)
	d.Form.Values[fieldCluster] = d.Cluster.ID
	if r.PostFormValue("action") == actionTest {
		status, err := s.testFetch(r, d, ds)
		if err != nil {
			s.t.FailDoing(w, r, "test a data source", err)
			return
		}
		if status != http.StatusOK {
			page.Error = "The test fetch failed: see below. Nothing was saved."
		}
		s.t.Render(w, r, status, newPage, page)
		return
	}
	if len(d.Form.Errors) > 0 {
		page.Error = "The data source was not added: see below."
		s.t.Render(w, r, http.StatusBadRequest, newPage, page)
		return
	}
	v := ui.ViewerFrom(r.Context())
	added, err := s.d.App.SetDataSource(r.Context(), v.Caller(), manage.DataSourceInput{DataSource: ds, ClusterID: d.Cluster.ID})
	if err != nil {
		if !formError(err) {
			s.t.FailDoing(w, r, "add a data source", err)
			return
		}
		refuse(d.Form, err)
		page.Error = "The data source was not added: see below."
		s.t.Render(w, r, ui.Status(err), newPage, page)
		return
	}
	ui.Redirect(w, r, "/data-sources?cluster="+added.ClusterID,
		fmt.Sprintf("Data source of %s added: the console fetches it and writes its records to the cluster's databroker.", added.RecordType))
}

// sourceData is the page of one data source: its status and the form that
// changes it.
type sourceData struct {
	Source *manage.DataSource
	Status status
	Form   *formData
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	d, err := s.load(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, d, "")
}

func (s *screen) render(w http.ResponseWriter, r *http.Request, status int, d *sourceData, pageErr string) {
	s.t.Render(w, r, status, sourcePage, ui.Page{Title: "Data source " + d.Source.RecordType, Nav: ui.NavDataSources, Data: d, Error: pageErr})
}

// load reads the data source the path names, which the use cases refuse
// to a viewer who may not manage it, with its form filled.
func (s *screen) load(r *http.Request) (*sourceData, error) {
	v := ui.ViewerFrom(r.Context())
	ds, err := s.d.App.GetDataSource(r.Context(), v.Caller(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	names, err := s.d.App.ClusterNames(r.Context())
	if err != nil {
		return nil, err
	}
	d := &sourceData{Source: ds, Status: statusOf(ds), Form: &formData{Form: ui.NewForm(), Action: "/data-sources/" + ds.ID, Edit: true,
		Cluster: cluster{ID: ds.ClusterID, Name: names[ds.ClusterID]}}}
	fill(d.Form.Form, ds.DataSource)
	return d, nil
}

// update changes the data source as the form says or, for "Test fetch",
// only fetches it once and shows the form again with a preview.
func (s *screen) update(w http.ResponseWriter, r *http.Request) {
	d, err := s.load(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	ds := readForm(r, d.Form.Form)
	ds.ID = d.Source.ID
	if r.PostFormValue("action") == actionTest {
		status, err := s.testFetch(r, d.Form, ds)
		if err != nil {
			s.t.FailDoing(w, r, "test a data source", err)
			return
		}
		pageErr := ""
		if status != http.StatusOK {
			pageErr = "The test fetch failed: see below. Nothing was saved."
		}
		s.render(w, r, status, d, pageErr)
		return
	}
	if len(d.Form.Form.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, d, "The data source was not saved: see below.")
		return
	}
	_, err = s.d.App.SetDataSource(r.Context(), ui.ViewerFrom(r.Context()).Caller(), manage.DataSourceInput{DataSource: ds})
	if err != nil {
		if !formError(err) {
			s.t.FailDoing(w, r, "update data source "+ds.ID, err)
			return
		}
		refuse(d.Form.Form, err)
		s.render(w, r, ui.Status(err), d, "The data source was not saved: see below.")
		return
	}
	ui.Redirect(w, r, "/data-sources/"+ds.ID, fmt.Sprintf("Data source of %s saved: it is fetched again now.", ds.RecordType))
}

func (s *screen) confirmDelete(w http.ResponseWriter, r *http.Request) {
	d, err := s.load(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, http.StatusOK, deletePage, ui.Page{Title: "Delete the data source of " + d.Source.RecordType, Nav: ui.NavDataSources, Data: d})
}

// remove deletes the data source; its fetcher then deletes its records.
func (s *screen) remove(w http.ResponseWriter, r *http.Request) {
	d, err := s.load(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := s.d.App.DeleteDataSource(r.Context(), ui.ViewerFrom(r.Context()).Caller(), d.Source.ID); err != nil {
		s.t.FailDoing(w, r, "delete data source "+d.Source.ID, err)
		return
	}
	ui.Redirect(w, r, "/data-sources?cluster="+d.Source.ClusterID,
		fmt.Sprintf("Data source of %s deleted: the console is removing its records from the cluster's databroker.", d.Source.RecordType))
}
