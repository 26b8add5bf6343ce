package postgres

import "context"

// QueryInt returns the integer sql returns, for tests.
func QueryInt(ctx context.Context, db *DB, sql string) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, sql).Scan(&n)
	return n, err
}

// Migrations is the number of migrations, which Version must equal.
var Migrations = len(migrations)

// Migration returns migration i, which takes the schema to version i+1.
func Migration(i int) string { return migrations[i] }
