// Package postgres keeps dltune's studies, trials and checkpoints in a
// PostgreSQL database, so that workers on many machines can share a study.
//
// A *DB implements study.Store and study.WeightStore, passes the same
// conformance suite (store/storetest) as the bbolt store, and adds what
// the command-line tools need: Studies, Trial and DeleteStudy.
//
// # Schema
//
// Open creates five tables in the first schema of the connection's
// search_path: dltune_meta (one row: a magic string and the schema
// version), dltune_studies, dltune_trials, dltune_checkpoints and
// dltune_weights (the weights after their best epoch of a study's best
// trials, see study.WeightStore; schema version 3). Study and
// trial records are the JSON records of package store, byte for byte, so a
// study copies between the stores unchanged; a trial's state is also a
// column, for queries. A trial has at most one checkpoint, its latest, in
// its own table so that listing trials never reads one.
//
// The schema version is len(migrations). Open applies the migrations a
// schema lacks in one transaction, under an advisory lock, so that workers
// starting together upgrade it once. It refuses, without changing
// anything, a schema a newer dltune wrote (store.ErrVersion) and one that
// holds tables that are not dltune's (store.ErrNotStore).
//
// # Transactions
//
// Each method is one statement or one transaction, so each change is
// atomic; PostgreSQL makes it durable by its own settings (fsync,
// synchronous_commit). CreateTrial takes the study's next number and
// raises it in the transaction that stores the trial, under the study
// row's lock: numbers are consecutive and never given twice, however many
// processes create trials at once.
//
// # Connections and secrets
//
// Open follows libpq's conventions through pgx's ParseConfig: the PG*
// environment variables, the password file, sslmode and the other URL
// parameters. It fails within the connect timeout (DefaultConnectTimeout,
// or the URL's connect_timeout) when the server does not answer. No error
// a DB returns contains the password, whether it came from the URL,
// $PGPASSWORD or the password file: messages name the database by its URL
// without the password (String).
package postgres
