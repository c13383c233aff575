package sqlite

// Exported for tests.
var (
	AfterReseal = afterReseal
	SearchIndex = searchIndex
	IDsFirst    = dialect.IDsFirst
)
