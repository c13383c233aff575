package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// Get returns a live object.
func (db *DB) Get(ctx context.Context, k store.Kind, id string, opts ...store.GetOption) (store.Object, error) {
	if !k.Valid() {
		return nil, store.Invalid("", id, "kind", "%q is not a kind", k)
	}
	if !store.ValidID(id) {
		return nil, store.Invalid(k, id, "id", "must be a UUID")
	}
	var o store.GetOptions
	for _, opt := range opts {
		opt(&o)
	}
	var obj store.Object
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		obj, err = db.getLive(ctx, tx, k, id)
		if err != nil || !o.Secrets {
			return err
		}
		return db.openSealed(ctx, tx, obj)
	})
	if k == store.KindSettings && id == store.SettingsID && errors.Is(err, store.ErrNotFound) {
		return defaultSettings(), nil
	}
	return obj, err
}

func defaultSettings() *store.Settings {
	return &store.Settings{
		ObjectMeta: store.ObjectMeta{ID: store.SettingsID, NamespaceID: store.GlobalNamespaceID},
		Spec:       &configpb.Settings{},
	}
}

var orderColumns = map[string]string{
	"name": "name", "created_at": "created_at", "modified_at": "modified_at", "version": "version",
}

// List returns a page of live objects of one kind.
func (db *DB) List(ctx context.Context, k store.Kind, q store.ListQuery) (*store.ListResult, error) {
	if !k.Valid() {
		return nil, store.Invalid("", "", "kind", "%q is not a kind", k)
	}
	order, reverse, err := orderClause(q.OrderBy)
	if err != nil {
		return nil, err
	}
	if q.Offset < 0 {
		return nil, store.Invalid(k, "", "offset", "must not be negative")
	}
	where, args := []string{"kind = $1", "NOT deleted"}, params{string(k)}
	arg := args.add
	// Without a filter of the objects themselves, the total comes from the
	// counts the store keeps per kind and namespace, under these
	// conditions.
	counted := []string{"kind = $1"}
	with := ""
	if q.NamespaceID != "" {
		if q.Recursive {
			with = `WITH RECURSIVE sub(id) AS (SELECT CAST(` + arg(q.NamespaceID) + ` AS TEXT)
				UNION SELECT o.id FROM objects o JOIN sub ON o.namespace_id = sub.id WHERE o.kind = 'namespace' AND NOT o.deleted) `
			where = append(where, "namespace_id IN (SELECT id FROM sub)")
		} else {
			where = append(where, "namespace_id = "+arg(q.NamespaceID))
		}
		counted = append(counted, where[len(where)-1])
	}
	live := func(conds []string) string {
		return with + "SELECT coalesce(sum(live), 0) FROM object_counts WHERE " + strings.Join(conds, " AND ")
	}
	// A search of the whole scope counts the scope's objects the same way,
	// to choose what it reads (see searchByIndex).
	scope := ""
	if len(q.IDs) == 0 && q.Name == "" && len(q.Names) == 0 {
		scope = live(counted)
	}
	if len(q.IDs) > 0 || q.Name != "" || len(q.Names) > 0 || q.Query != "" {
		counted = nil
	}
	from := "objects"
	if len(q.IDs) > 0 {
		cond, err := db.inList("id", q.IDs, &args)
		if err != nil {
			return nil, err
		}
		where = append(where, cond)
		if db.d.IDsFirst != "" {
			from = fmt.Sprintf(db.d.IDsFirst, fmt.Sprintf("$%d", len(args)))
		}
	}
	if q.Name != "" {
		where = append(where, "name = "+arg(q.Name))
	}
	if len(q.Names) > 0 {
		cond, err := db.inList("name", q.Names, &args)
		if err != nil {
			return nil, err
		}
		where = append(where, cond)
	}
	var search searchTerms
	if q.Query != "" {
		if strings.ContainsRune(q.Query, 0) {
			// No search text holds NUL (PostgreSQL's text cannot); LIKE
			// would read the pattern as ending there.
			return &store.ListResult{}, nil
		}
		search = db.searchTerms(strings.ToLower(q.Query), &args)
	}
	cond := " FROM " + from + " WHERE " + strings.Join(where, " AND ")
	limit := db.d.NoLimit
	if q.Limit > 0 {
		limit = fmt.Sprint(q.Limit)
	}
	page := " ORDER BY " + order + " LIMIT " + limit + " OFFSET " + fmt.Sprint(q.Offset)
	res := &store.ListResult{}
	err = db.inReadTx(ctx, func(tx *sql.Tx) error {
		*res = store.ListResult{}
		if q.Query != "" {
			args[search.at] = search.likeValue
			rows := " FROM " + from + " WHERE " + strings.Join(append(slices.Clip(where), search.like), " AND ")
			cond, byIndex := rows, false
			bound := store.PageQuery{Offset: q.Offset, Limit: q.Limit, CountUpTo: q.CountUpTo}
			bounded := q.CountUpTo > 0 && q.Limit > 0
			if scope != "" && search.indexed {
				var inScope int
				if err := tx.QueryRowContext(ctx, db.d.q(scope), args[:search.at]...).Scan(&inScope); err != nil {
					return fmt.Errorf("search %s: count the scope: %w", k, err)
				}
				indexed, err := db.readIndex(ctx, tx, search, where, args)
				if err != nil {
					return fmt.Errorf("search %s: %w", k, err)
				}
				if bounded && inScope > searchProbe {
					read, err := db.searchLargeScope(ctx, tx, res, inScope, bound, with, reading{rows, args}, indexed)
					if err != nil {
						return fmt.Errorf("search %s: %w", k, err)
					}
					if read != nil {
						if !res.More && q.Offset >= res.TotalCount {
							res.Objects = objectsOf(nil) // the page is past the matches
							return nil
						}
						return db.listPage(ctx, tx, res, k, with, read.cond, page, order, read.args)
					}
				}
				if byIndex, err = db.searchByIndex(ctx, tx, search, indexed.args[search.at], inScope); err != nil {
					return fmt.Errorf("search %s: %w", k, err)
				}
				if byIndex {
					cond, args = indexed.cond, indexed.args
				}
			}
			if bounded && !byIndex {
				// Counted up to a bound, a text most objects hold is found
				// in the order's index up to the page's end, and counted
				// as far as the bound, instead of every match read and
				// sorted. A page that ends before its limit ends the
				// matches, which then need no count of their own.
				if err := db.listPage(ctx, tx, res, k, with, cond, page, order, args); err != nil {
					return err
				}
				if n := len(res.Objects); n > 0 && n < q.Limit || n == 0 && q.Offset == 0 {
					res.TotalCount = q.Offset + n
					return nil
				}
				var err error
				if res.TotalCount, res.More, err = db.count(ctx, tx, with, cond, args, bound); err != nil {
					return fmt.Errorf("count %s: %w", k, err)
				}
				return nil
			}
			// One statement finds the page and counts the matches; only the
			// names and ids of the matches are sorted.
			if err := db.listCounted(ctx, tx, res, k, with+"SELECT "+objectColumns+", total FROM objects JOIN (SELECT kind AS page_kind, id AS page_id, count(*) OVER () AS total"+
				cond+page+") page ON kind = page_kind AND id = page_id ORDER BY "+order, cond, with, args); err != nil {
				return err
			}
			if upTo := countBound(bound); bounded && res.TotalCount > upTo {
				// Counted whole from the index's few matches, the total
				// is told as a bounded count is.
				res.TotalCount, res.More = upTo, true
			}
			return nil
		}
		count := with + "SELECT count(*)" + cond
		if counted != nil {
			count = live(counted)
		}
		if err := tx.QueryRowContext(ctx, db.d.q(count), args...).Scan(&res.TotalCount); err != nil {
			return fmt.Errorf("count %s: %w", k, err)
		}
		pageOrder, near := order, q.Offset
		if q.Limit > 0 && q.Offset > res.TotalCount/2 && q.Offset < res.TotalCount {
			// The ids of a page past the middle are found from the other
			// end: an offset skips index entries one at a time (a million
			// take over 100 ms), and the order is total, ids breaking ties.
			n := min(q.Limit, res.TotalCount-q.Offset)
			pageOrder, near = reverse, res.TotalCount-q.Offset-n
			page = " ORDER BY " + pageOrder + " LIMIT " + fmt.Sprint(n) + " OFFSET " + fmt.Sprint(near)
		}
		if counted != nil && strings.HasPrefix(order, "version ") && q.Limit > 0 && q.Offset < res.TotalCount {
			walked, err := db.walkVersions(ctx, tx, res, k, with, where, args, order, pageOrder, page, near, min(q.Limit, res.TotalCount-q.Offset))
			if err != nil || walked {
				return err
			}
		}
		return db.listPage(ctx, tx, res, k, with, cond, page, order, args)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// listPage reads the objects of a page: the ids of the page come from
// cond (the list index alone, when it holds the conditions) in page's
// order and bounds; only the page's rows are read, and put in order.
func (db *DB) listPage(ctx context.Context, tx *sql.Tx, res *store.ListResult, k store.Kind, with, cond, page, order string, args []any) error {
	changes, err := db.queryObjects(ctx, tx, with+"SELECT "+objectColumns+" FROM objects JOIN (SELECT kind AS page_kind, id AS page_id"+
		cond+page+") page ON kind = page_kind AND id = page_id ORDER BY "+order, args...)
	if err != nil {
		return fmt.Errorf("list %s: %w", k, err)
	}
	res.Objects = objectsOf(changes)
	return nil
}

// versionWalkShare and versionWalkLeast bound the entries of the store's
// version index a page in version order walks (see walkVersions): a share
// of the scope's objects, and at least a few hundred. Each entry walked
// looks its object up, about 9 µs among a million routes, where sorting
// the entries of the kind's index takes about 0.2 µs an object: a walk
// that does not find its page, because the scope's objects lie further
// than they would were they spread evenly (objects of other kinds, or
// tombstones, among the newest), adds to the sort at most a fifth of it.
const (
	versionWalkShare = 256
	versionWalkLeast = 256
)

// walkVersions reads a page of n objects in version order by walking the
// store's version index (Dialect.VersionWalk) as page says (List's ORDER
// BY pageOrder, LIMIT and OFFSET near; the page is then put in the list's
// order), where the database would otherwise sort every
// entry of the kind's index in the scope (196 ms for a page of a million
// routes). It walks when the page's objects are likely among the first
// entries, were the scope's objects spread evenly over the live objects of
// every kind, and walks at most the bound's number of entries; it says
// whether it read the page, which it did not when the scope's objects lie
// further. A database without the walk never walks.
func (db *DB) walkVersions(ctx context.Context, tx *sql.Tx, res *store.ListResult, k store.Kind, with string, where []string, args []any, order, pageOrder, page string, near, n int) (bool, error) {
	bound := max(int64(res.TotalCount/versionWalkShare), versionWalkLeast)
	if db.d.VersionWalk == "" || int64(near+n) > bound {
		return false, nil // too far, however few objects of other kinds the store holds
	}
	var all int64
	if err := tx.QueryRowContext(ctx, db.d.q("SELECT coalesce(sum(live), 0) FROM object_counts")).Scan(&all); err != nil {
		return false, fmt.Errorf("list %s: count the objects: %w", k, err)
	}
	if int64(near+n)*all > bound*int64(res.TotalCount) {
		return false, nil
	}
	// The walk ends at the version of the index's bound-th entry from the
	// end it starts at, where the index holds that many.
	dir, cmp := "ASC", "<="
	if strings.HasPrefix(pageOrder, "version DESC") {
		dir, cmp = "DESC", ">="
	}
	conds := slices.Clip(where)
	var last int64
	err := tx.QueryRowContext(ctx, db.d.q("SELECT version FROM objects ORDER BY version "+dir+" LIMIT 1 OFFSET "+fmt.Sprint(bound-1))).Scan(&last)
	switch {
	case err == nil:
		args = append(slices.Clip(args), last)
		conds = append(conds, fmt.Sprintf("version %s $%d", cmp, len(args)))
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("list %s: find where the walk ends: %w", k, err)
	}
	cond := " FROM " + db.d.VersionWalk + " WHERE " + strings.Join(conds, " AND ")
	if err := db.listPage(ctx, tx, res, k, with, cond, page, order, args); err != nil {
		return false, err
	}
	return len(res.Objects) == n, nil
}

// searchTerms are the two ways a search may compare its text with the
// objects: every object of the scope, or the database's own index of the
// search texts when it has one that answers the text (Dialect.SearchIndex).
// Both take their value as the same parameter, args[at].
type searchTerms struct {
	at        int
	like      string
	likeValue any
	index     IndexedSearch
	indexed   bool
}

func (db *DB) searchTerms(text string, args *params) searchTerms {
	t := searchTerms{at: len(*args), likeValue: "%" + escapeLike(text) + "%"}
	t.like = likeCond("search", args.add(t.likeValue))
	if db.d.SearchIndex != nil {
		t.index, t.indexed = db.d.SearchIndex(text, fmt.Sprintf("$%d", t.at+1))
	}
	return t
}

// readIndex returns how a search reads the index, its value in
// args[t.at]: the whole text, or a part of it the index answers at less
// cost (IndexedSearch.Narrow), whose matches are then compared with the
// text as well.
func (db *DB) readIndex(ctx context.Context, tx *sql.Tx, t searchTerms, where []string, args []any) (reading, error) {
	r := reading{args: slices.Clone(args)}
	r.args[t.at] = t.index.Value
	conds := append(slices.Clip(where), t.index.Match)
	if t.index.Narrow != nil {
		part, ok, err := t.index.Narrow(ctx, tx)
		if err != nil {
			return reading{}, fmt.Errorf("choose what to look up: %w", err)
		}
		if ok {
			r.args[t.at] = part
			r.args = append(r.args, t.likeValue)
			conds = append(conds, likeCond("objects.search", fmt.Sprintf("$%d", len(r.args))))
		}
	}
	r.cond = " FROM " + t.index.From + " WHERE " + strings.Join(conds, " AND ")
	return r, nil
}

// likeCond holds where column holds the text whose LIKE pattern is param.
func likeCond(column, param string) string {
	return column + ` LIKE ` + param + ` ESCAPE '\'`
}

// searchProbe bounds how many of the index's matches a search counts to
// choose what it reads.
const searchProbe = 10_000

// searchByIndex says whether a search reads the index rather than every
// object of its scope: when the index names fewer objects, of any kind or
// namespace, than the scope holds (inScope, from the counts the store
// keeps), and fewer than searchProbe. A text a few objects hold is found
// from the index among a million; a text most objects hold, searched in a
// namespace of a few, reads those few instead of every match. value is
// what the index looks up (see readIndex).
func (db *DB) searchByIndex(ctx context.Context, tx *sql.Tx, t searchTerms, value any, inScope int) (bool, error) {
	bound := min(inScope, searchProbe)
	var found int
	if err := tx.QueryRowContext(ctx, db.d.q(fmt.Sprintf(t.index.Count, bound)), value).Scan(&found); err != nil {
		return false, fmt.Errorf("count the index's matches: %w", err)
	}
	return found < bound, nil
}

// pageScan bounds how many objects of a scope a search counted up to a
// bound compares, in the list's order, to find the matches of its page.
const pageScan = 50_000

// reading is a FROM clause with its conditions, and their arguments.
type reading struct {
	cond string
	args []any
}

// searchLargeScope counts a search counted up to a bound (see
// store.ListQuery.CountUpTo) in a scope of more than searchProbe objects
// (inScope) that holds at least half of the store's objects, and says
// what its page is read from; nil when the scope holds fewer than half,
// and the search is answered otherwise. In such a scope most of the
// index's matches are likely the scope's, so the scope's matches are
// counted from the index (indexed), as far as the bound: a text a
// hundredth of a million objects hold is counted in a fraction of the
// time a comparison of every object of the scope takes. The page then
// comes from the list's own order (rows: every object compared, in order,
// up to the page's end) when the count passed the bound, or when the
// matches are dense enough that the page would compare at most pageScan
// objects were they spread evenly over the order; else from the index's
// matches, which are then at most the bound. Matches gathered at one end
// of the order may make the page compare most of the scope.
func (db *DB) searchLargeScope(ctx context.Context, tx *sql.Tx, res *store.ListResult, inScope int, bound store.PageQuery, with string, rows, indexed reading) (*reading, error) {
	var all int
	if err := tx.QueryRowContext(ctx, db.d.q("SELECT coalesce(sum(live), 0) FROM object_counts")).Scan(&all); err != nil {
		return nil, fmt.Errorf("count the objects: %w", err)
	}
	if inScope < all-inScope {
		return nil, nil
	}
	n, more, err := db.count(ctx, tx, with, indexed.cond, indexed.args, bound)
	if err != nil {
		return nil, fmt.Errorf("count the index's matches in the scope: %w", err)
	}
	res.TotalCount, res.More = n, more
	if more || (int64(bound.Offset)+int64(bound.Limit))*int64(inScope) <= pageScan*int64(n) {
		return &rows, nil
	}
	return &indexed, nil
}

// listCounted reads a page whose rows carry the count of every match, and
// counts apart when the page is empty (an offset past the end).
func (db *DB) listCounted(ctx context.Context, tx *sql.Tx, res *store.ListResult, k store.Kind, query, cond, with string, args []any) error {
	rows, err := tx.QueryContext(ctx, db.d.q(query), args...)
	if err != nil {
		return fmt.Errorf("list %s: %w", k, err)
	}
	defer rows.Close()
	var changes []store.Change
	for rows.Next() {
		var count int
		r, err := scanRow(rows, &count)
		if err != nil {
			return fmt.Errorf("list %s: %w", k, err)
		}
		res.TotalCount = count
		obj, err := r.object(db.sealer, false)
		if err != nil {
			return err
		}
		changes = append(changes, store.Change{Kind: r.kind, ID: r.meta.ID, Version: r.meta.Version, Object: obj})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list %s: %w", k, err)
	}
	res.Objects = objectsOf(changes)
	if len(changes) == 0 {
		if err := tx.QueryRowContext(ctx, db.d.q(with+"SELECT count(*)"+cond), args...).Scan(&res.TotalCount); err != nil {
			return fmt.Errorf("count %s: %w", k, err)
		}
	}
	return nil
}

func objectsOf(changes []store.Change) []store.Object {
	out := make([]store.Object, len(changes))
	for i, c := range changes {
		out[i] = c.Object
	}
	return out
}

// params are the arguments of a statement being built.
type params []any

// add appends an argument and returns its placeholder.
func (p *params) add(v any) string {
	*p = append(*p, v)
	return fmt.Sprintf("$%d", len(*p))
}

// inList is the condition "column is one of values", with the values added
// to args as one parameter however many there are.
func (db *DB) inList(column string, values []string, args *params) (string, error) {
	b, err := json.Marshal(values)
	if err != nil {
		return "", fmt.Errorf("encode %ss: %w", column, err)
	}
	return column + " IN (" + fmt.Sprintf(db.d.JSONTextArray, args.add(string(b))) + ")", nil
}

// orderClause is the ORDER BY of a list, and the same order reversed.
func orderClause(orderBy string) (order, reverse string, err error) {
	if orderBy == "" {
		orderBy = "name"
	}
	col, dir, back := strings.TrimPrefix(orderBy, "-"), "ASC", "DESC"
	if strings.HasPrefix(orderBy, "-") {
		dir, back = back, dir
	}
	c, ok := orderColumns[col]
	if !ok {
		return "", "", store.Invalid("", "", "order_by", "%q is not one of name, created_at, modified_at, version (prefix - for descending)", orderBy)
	}
	return c + " " + dir + ", id " + dir, c + " " + back + ", id " + back, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Changes returns objects and tombstones newer than after. It reads the
// store's version, then the objects, each in a statement of its own
// rather than in a read transaction (two round trips instead of four, on
// every change the reconciler reads): writes take versions in the order
// they commit, so the objects read hold every change through that version,
// and through the newest version among them.
func (db *DB) Changes(ctx context.Context, after int64, limit int) (*store.ChangeSet, error) {
	cs := &store.ChangeSet{}
	var err error
	if cs.StoreVersion, err = db.Version(ctx); err != nil {
		return nil, err
	}
	lim := db.d.NoLimit
	if limit > 0 {
		lim = fmt.Sprint(limit)
	}
	cs.Changes, err = db.queryObjects(ctx, db.read, "SELECT "+objectColumns+" FROM objects WHERE version > $1 ORDER BY version LIMIT "+lim, after)
	if err != nil {
		return nil, db.unavailable(fmt.Errorf("read changes after %d: %w", after, err), store.NoWrite)
	}
	if n := len(cs.Changes); n > 0 {
		cs.StoreVersion = max(cs.StoreVersion, cs.Changes[n-1].Version)
	}
	return cs, nil
}

// Load reads every live object in one consistent snapshot.
func (db *DB) Load(ctx context.Context, opts ...store.GetOption) (*store.State, error) {
	st := &store.State{}
	version, err := db.LoadEach(ctx, func(o store.Object) error {
		st.Add(o)
		return nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	st.Version = version
	if st.Settings == nil {
		st.Settings = defaultSettings()
	}
	return st, nil
}

// LoadEach hands every live object to fn as it reads it, in one consistent
// snapshot: every object but the routes first (with their secrets, if
// asked for), then the routes, each kind by name. Only the routes are
// streamed from the database; fn's error ends the read.
func (db *DB) LoadEach(ctx context.Context, fn func(store.Object) error, opts ...store.GetOption) (version int64, err error) {
	var o store.GetOptions
	for _, opt := range opts {
		opt(&o)
	}
	err = db.inReadTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT version FROM console_meta WHERE id = 1").Scan(&version); err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		others, err := db.queryObjects(ctx, tx, "SELECT "+objectColumns+" FROM objects WHERE NOT deleted AND kind <> 'route' ORDER BY "+kindOrder+", name, id")
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		for _, c := range others {
			if o.Secrets {
				if err := db.openSealed(ctx, tx, c.Object); err != nil {
					return err
				}
			}
			if err := fn(c.Object); err != nil {
				return err
			}
		}
		var fnErr error // the caller's: said as it is
		err = db.eachObject(ctx, tx, o.EncodedSpecs, func(c store.Change) error {
			fnErr = fn(c.Object)
			return fnErr
		}, "SELECT "+objectColumns+" FROM objects WHERE NOT deleted AND kind = 'route' ORDER BY name, id")
		if err != nil && fnErr == nil {
			return fmt.Errorf("load routes: %w", err)
		}
		return err
	})
	return version, err
}

// IndexQuery reads the kind, id and version of every live object, which
// each backend can answer from a covering index (objects_index) alone.
const IndexQuery = "SELECT kind, id, version FROM objects WHERE NOT deleted"

// Index lists every live object's kind, id and version.
func (db *DB) Index(ctx context.Context) (*store.Index, error) {
	idx := &store.Index{}
	var err error
	idx.Version, err = db.readAtVersion(ctx, func(tx *sql.Tx, _ int64) error {
		return eachRow(ctx, tx, "index", func(rows *sql.Rows) error {
			var e store.IndexEntry
			if err := rows.Scan(&e.Kind, &e.ID, &e.Version); err != nil {
				return err
			}
			idx.Entries = append(idx.Entries, e)
			return nil
		}, IndexQuery)
	})
	if err != nil {
		return nil, err
	}
	return idx, nil
}

// IndexSumsQuery sums what IndexQuery reads per kind, from the counts
// and sums of versions per kind and namespace that the store's triggers
// keep in object_counts as objects are written.
const IndexSumsQuery = "SELECT kind, CAST(sum(live) AS BIGINT), CAST(sum(versions) AS BIGINT) FROM object_counts GROUP BY kind HAVING sum(live) > 0"

// WrittenQuery lists what was written after a version, tombstones
// included, from the index on version (objects_version) and the rows it
// points at.
const WrittenQuery = "SELECT kind, id, version, deleted FROM objects WHERE version > $1 ORDER BY version LIMIT $2"

// IndexSums counts the live objects of each kind and sums their versions,
// and lists those written after after, limit at most, in one snapshot.
func (db *DB) IndexSums(ctx context.Context, after int64, limit int) (*store.IndexSums, error) {
	limit = max(limit, 0)
	sums := &store.IndexSums{Kinds: map[store.Kind]store.IndexSum{}, After: after}
	var err error
	sums.Version, err = db.readAtVersion(ctx, func(tx *sql.Tx, version int64) error {
		err := eachRow(ctx, tx, "index sums", func(rows *sql.Rows) error {
			var k store.Kind
			var sum store.IndexSum
			if err := rows.Scan(&k, &sum.Count, &sum.Versions); err != nil {
				return err
			}
			sums.Kinds[k] = sum
			return nil
		}, IndexSumsQuery)
		if err != nil || after >= version {
			return err
		}
		return eachRow(ctx, tx, "objects written", func(rows *sql.Rows) error {
			var e store.WrittenEntry
			if err := rows.Scan(&e.Kind, &e.ID, &e.Version, &e.Deleted); err != nil {
				return err
			}
			sums.Written = append(sums.Written, e)
			return nil
		}, db.d.q(WrittenQuery), after, limit+1)
	})
	if err != nil {
		return nil, err
	}
	if len(sums.Written) > limit {
		sums.Written, sums.WrittenOver = nil, true
	}
	return sums, nil
}

// readAtVersion reads the store version, then calls fn with it, in one
// read transaction.
func (db *DB) readAtVersion(ctx context.Context, fn func(tx *sql.Tx, version int64) error) (int64, error) {
	var version int64
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT version FROM console_meta WHERE id = 1").Scan(&version); err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		return fn(tx, version)
	})
	return version, err
}

// eachRow hands each row of query to scan; what names the rows in errors.
func eachRow(ctx context.Context, tx *sql.Tx, what string, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// ReferencingRoutes returns the ids of live routes that use a policy.
func (db *DB) ReferencingRoutes(ctx context.Context, policyID string) ([]string, error) {
	return db.referencingRoutes(ctx, db.read, policyID)
}

func (db *DB) referencingRoutes(ctx context.Context, q queryer, policyID string) ([]string, error) {
	ids, err := queryIDs(ctx, q, db.d.q("SELECT from_id"+routesUsingPolicy+" ORDER BY from_id"), policyID)
	if err != nil {
		return nil, fmt.Errorf("read routes using policy %s: %w", policyID, err)
	}
	return ids, nil
}

// queryIDs reads the one column of query's rows.
func queryIDs(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// routesUsingPolicy is the condition of the routes that use policy $1.
const routesUsingPolicy = ` FROM object_refs WHERE to_kind = 'policy' AND to_id = $1 AND from_kind = 'route'`

// ReferencingRoutesPage returns a page of the ids of the live routes that
// use a policy, in id order, read from the index object_refs_to_from.
func (db *DB) ReferencingRoutesPage(ctx context.Context, policyID string, q store.PageQuery) (_ *store.IDPage, err error) {
	defer db.markUnavailable(&err)
	if q.Offset < 0 {
		return nil, store.Invalid("", "", "offset", "must not be negative")
	}
	if q.Limit <= 0 {
		return nil, store.Invalid("", "", "limit", "must be positive")
	}
	page := &store.IDPage{}
	err = db.inReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		if page.TotalCount, page.More, err = db.count(ctx, tx, "", routesUsingPolicy, []any{policyID}, q); err != nil {
			return err
		}
		page.IDs, err = queryIDs(ctx, tx, db.d.q("SELECT from_id"+routesUsingPolicy+fmt.Sprintf(" ORDER BY from_id LIMIT %d OFFSET %d", q.Limit, q.Offset)), policyID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read routes using policy %s: %w", policyID, err)
	}
	return page, nil
}

// count counts the rows of cond (a FROM clause and its conditions, after
// with), up to the bound of q when it has one: whichever is further of
// CountUpTo and the page's end. more says the rows went past the bound.
func (db *DB) count(ctx context.Context, tx *sql.Tx, with, cond string, args []any, q store.PageQuery) (n int, more bool, err error) {
	query, bound := with+"SELECT count(*)"+cond, countBound(q)
	if bound > 0 {
		// One row past the bound tells that there are more.
		query = with + "SELECT count(*) FROM (SELECT 1" + cond + fmt.Sprintf(" LIMIT %d) counted", bound+1)
	}
	if err := tx.QueryRowContext(ctx, db.d.q(query), args...).Scan(&n); err != nil {
		return 0, false, err
	}
	if bound > 0 && n > bound {
		return bound, true, nil
	}
	return n, false, nil
}

// countBound is where a count of q stops: the further of its CountUpTo
// and its page's end; 0 when it counts everything. It stays below the
// largest int, so that the count may read one row past it.
func countBound(q store.PageQuery) int {
	if q.CountUpTo <= 0 {
		return 0
	}
	return int(min(max(int64(q.CountUpTo), int64(q.Offset)+int64(q.Limit)), math.MaxInt-1))
}

// ReferencingRouteNames returns the live routes that use a policy, id to
// name.
func (db *DB) ReferencingRouteNames(ctx context.Context, policyID string) (_ map[string]string, err error) {
	defer db.markUnavailable(&err)
	rows, err := db.read.QueryContext(ctx, db.d.q(`SELECT o.id, o.name FROM object_refs r
		JOIN objects o ON o.kind = r.from_kind AND o.id = r.from_id
		WHERE r.to_kind = $1 AND r.to_id = $2 AND r.from_kind = $3 AND NOT o.deleted`),
		string(store.KindPolicy), policyID, string(store.KindRoute))
	if err != nil {
		return nil, fmt.Errorf("read routes using policy %s: %w", policyID, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// openSealed reads the sealed secret of obj into it, if it has one.
func (db *DB) openSealed(ctx context.Context, q queryer, obj store.Object) error {
	if !store.HasSecret(obj) {
		return nil
	}
	m := obj.GetObjectMeta()
	plain, err := db.readSecret(ctx, q, obj.Kind(), m.ID)
	if err != nil {
		return err
	}
	return store.SetSecret(obj, plain)
}
