package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/codenotary/immudb/embedded/htree"
	"github.com/codenotary/immudb/embedded/sql"
	"github.com/codenotary/immudb/embedded/store"
	"github.com/google/uuid"
)

type sqlCol struct {
	ID     uint32 `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	MaxLen int    `json:"maxLen"`
}

type sqlTable struct {
	Name     string   `json:"name"`
	TableID  uint32   `json:"tableId"`
	Columns  []sqlCol `json:"columns"`
	PKColIDs []uint32 `json:"pkColIds"`
}

// sqlValue is a typed SQL value in JSON form: INTEGER/TIMESTAMP (microseconds) decimal strings,
// VARCHAR/JSON plain strings, BLOB/UUID hex, BOOLEAN bool, FLOAT as exact bits (hex) + readable.
type sqlValue struct {
	Type  string `json:"type"`
	Null  bool   `json:"null,omitempty"`
	Value any    `json:"value,omitempty"`
	Bits  string `json:"bits,omitempty"` // FLOAT only
	Text  string `json:"text,omitempty"` // readable form (FLOAT, UUID, TIMESTAMP)
}

type sqlPK struct {
	Col     uint32   `json:"colId"`
	MaxLen  int      `json:"maxLen"`
	Value   sqlValue `json:"value"`
	Encoded string   `json:"encoded"`
}

type sqlRowCol struct {
	ColID uint32   `json:"colId"`
	Raw   string   `json:"raw"` // value bytes without the u32 length
	Value sqlValue `json:"value"`
}

type sqlRow struct {
	Name     string           `json:"name"`
	Table    string           `json:"table"`
	DbID     uint32           `json:"dbId"`
	TableID  uint32           `json:"tableId"`
	PKs      []sqlPK          `json:"pks"`
	RowKey   string           `json:"rowKey"`
	RowValue string           `json:"rowValue"`
	Columns  []sqlRowCol      `json:"columns"`
	TxID     string           `json:"txId"`
	Version  int              `json:"version"`
	Digest   string           `json:"digest"`
	Eh       string           `json:"eh"`
	Proof    *jInclusionProof `json:"proof"`
	GoOk     bool             `json:"goOk"`
}

type sqlPKCase struct {
	Name    string   `json:"name"`
	MaxLen  int      `json:"maxLen"`
	Value   sqlValue `json:"value"`
	Encoded string   `json:"encoded,omitempty"`
	GoErr   string   `json:"goErr,omitempty"`
}

type sqlFile struct {
	Description string      `json:"description"`
	Tables      []sqlTable  `json:"tables"`
	Rows        []sqlRow    `json:"rows"`
	PKEncodings []sqlPKCase `json:"pkEncodings"`
}

func toSQLValue(t sql.SQLValueType, raw any) sqlValue {
	v := sqlValue{Type: string(t)}
	if raw == nil {
		v.Null = true
		return v
	}
	switch x := raw.(type) {
	case int64:
		v.Value = deci(x)
	case int:
		v.Value = deci(int64(x))
	case string:
		v.Value = x
	case bool:
		v.Value = x
	case []byte:
		v.Value = hx(x)
	case uuid.UUID:
		v.Value = hx(x[:])
		v.Text = x.String()
	case time.Time:
		v.Value = deci(sql.TimeToInt64(x))
		v.Text = x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case float64:
		v.Bits = hx(u64(math.Float64bits(x)))
		v.Text = scoreString(x)
	default:
		panic(fmt.Sprintf("sql value %T", raw))
	}
	return v
}

func sqlVectors(tmp string) sqlFile {
	f := sqlFile{Description: "SQL rows written by a real immudb v1.11.1 embedded/sql engine (prefix 0x02, store header v1). " +
		"rowKey = 0x02 'R.' u32(dbId=1) u32(tableId) u32(0) pkEnc...; pks[].encoded = sql.EncodeRawValueAsKey; rowValue " +
		"= u32(count) (u32(colId) u32(len) bytes)*; columns decoded with sql.DecodeValue. digest = EntrySpecDigest_v1 of " +
		"{rowKey, rowValue} (no metadata, no value prefix), proof = htree inclusion proof in the tx (eh). " +
		"TIMESTAMP values are microseconds since the epoch (as on the wire); UUID/BLOB hex; FLOAT exact bits."}
	clk := &clock{now: baseTs}
	opts := store.DefaultOptions().WithSynced(false).WithMaxConcurrency(1).WithLogger(quiet).WithTimeFunc(clk.fn).WithMultiIndexing(true)
	st := must(store.Open(filepath.Join(tmp, "sql"), opts))
	defer st.Close()
	engine := must(sql.NewEngine(st, sql.DefaultOptions().WithPrefix([]byte{0x02})))
	ctx := context.Background()
	exec := func(q string, params map[string]any) {
		clk.now++
		ps := map[string]any{}
		for k, v := range params {
			if u, ok := v.(uuid.UUID); ok {
				v = u.String() // implicitly converted to UUID by the engine
			}
			ps[k] = v
		}
		_, _, err := engine.Exec(ctx, nil, q, ps)
		check(err)
	}
	exec(`CREATE TABLE t_int (id INTEGER, note VARCHAR, PRIMARY KEY id)`, nil)
	exec(`CREATE TABLE t_varchar (id VARCHAR[24], note VARCHAR, PRIMARY KEY id)`, nil)
	exec(`CREATE TABLE t_blob (id BLOB[16], note VARCHAR, PRIMARY KEY id)`, nil)
	exec(`CREATE TABLE t_bool (id BOOLEAN, note VARCHAR, PRIMARY KEY id)`, nil)
	exec(`CREATE TABLE t_uuid (id UUID, note VARCHAR, PRIMARY KEY id)`, nil)
	exec(`CREATE TABLE t_ts (id TIMESTAMP, note VARCHAR, PRIMARY KEY id)`, nil)
	exec(`CREATE TABLE t_float (id FLOAT, note VARCHAR, PRIMARY KEY id)`, nil)
	exec(`CREATE TABLE t_multi (a INTEGER, b VARCHAR[8], c BOOLEAN, note VARCHAR, PRIMARY KEY (a, b, c))`, nil)
	exec(`CREATE TABLE t_all (id INTEGER AUTO_INCREMENT, c_int INTEGER, c_str VARCHAR, c_bool BOOLEAN, c_blob BLOB, `+
		`c_float FLOAT, c_ts TIMESTAMP, c_uuid UUID, c_json JSON, c_null VARCHAR, PRIMARY KEY id)`, nil)

	u1 := uuid.MustParse("5f4dcc3b-5aa7-65d6-1d83-27deb882cf99")
	u2 := uuid.MustParse("00000000-0000-0000-0000-000000000000")
	u3 := uuid.MustParse("ffffffff-ffff-ffff-ffff-ffffffffffff")
	ts1 := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	ts2 := time.Date(1960, 12, 31, 23, 59, 59, 999999000, time.UTC)
	ts3 := time.Unix(0, 0).UTC()

	type ins struct {
		table  string
		name   string
		params map[string]any
	}
	var inserts []ins
	for _, v := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64, -1000000} {
		inserts = append(inserts, ins{"t_int", "INTEGER " + strconv.FormatInt(v, 10), map[string]any{"id": v}})
	}
	for _, v := range []string{"", "a", "héllo-世界", "exactly-24-bytes-long-xx", "NUL\x00in"} {
		inserts = append(inserts, ins{"t_varchar", fmt.Sprintf("VARCHAR %q", v), map[string]any{"id": v}})
	}
	for _, v := range [][]byte{{}, {0x00}, {0xde, 0xad, 0xbe, 0xef}, bytes.Repeat([]byte{0xff}, 16)} {
		inserts = append(inserts, ins{"t_blob", "BLOB " + hx(v), map[string]any{"id": v}})
	}
	for _, v := range []bool{true, false} {
		inserts = append(inserts, ins{"t_bool", "BOOLEAN " + strconv.FormatBool(v), map[string]any{"id": v}})
	}
	for _, v := range []uuid.UUID{u1, u2, u3} {
		inserts = append(inserts, ins{"t_uuid", "UUID " + v.String(), map[string]any{"id": v}})
	}
	for _, v := range []time.Time{ts1, ts2, ts3} {
		inserts = append(inserts, ins{"t_ts", "TIMESTAMP " + v.Format(time.RFC3339Nano), map[string]any{"id": v}})
	}
	for _, v := range []float64{0, 1.5, -1.5, 3.25, -1e300, math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64} {
		inserts = append(inserts, ins{"t_float", "FLOAT " + scoreString(v), map[string]any{"id": v}})
	}
	for i, v := range []struct {
		a int64
		b string
		c bool
	}{{1, "x", true}, {-7, "", false}, {1, "ü", false}} {
		inserts = append(inserts, ins{"t_multi", fmt.Sprintf("composite PK #%d", i), map[string]any{"a": v.a, "b": v.b, "c": v.c}})
	}

	for _, in := range inserts {
		params := in.params
		params["note"] = in.name
		if in.table == "t_multi" {
			exec(`INSERT INTO t_multi (a, b, c, note) VALUES (@a, @b, @c, @note)`, params)
		} else {
			exec(`INSERT INTO `+in.table+` (id, note) VALUES (@id, @note)`, params)
		}
	}
	allRows := []map[string]any{
		{"c_int": int64(-5), "c_str": "row one ✓", "c_bool": true, "c_blob": []byte{1, 2, 3}, "c_float": -0.5, "c_ts": ts1,
			"c_uuid": u1, "c_json": `{"a":[1,2,{"b":null}],"c":"d"}`},
		{"c_int": int64(math.MaxInt64), "c_str": "", "c_bool": false, "c_blob": []byte{}, "c_float": math.Inf(1), "c_ts": ts2,
			"c_uuid": u3, "c_json": `[]`},
		{"c_int": nil, "c_str": nil, "c_bool": nil, "c_blob": nil, "c_float": nil, "c_ts": nil, "c_uuid": nil, "c_json": nil},
	}
	for i, r := range allRows {
		exec(`INSERT INTO t_all (c_int, c_str, c_bool, c_blob, c_float, c_ts, c_uuid, c_json, c_null) `+
			`VALUES (@c_int, @c_str, @c_bool, @c_blob, @c_float, @c_ts, @c_uuid, @c_json, NULL)`, r)
		inserts = append(inserts, ins{"t_all", fmt.Sprintf("all column types #%d", i), map[string]any{"id": int64(i + 1)}})
	}

	// catalog
	sqlTx := must(engine.NewTx(ctx, sql.DefaultTxOptions().WithReadOnly(true)))
	defer sqlTx.Cancel()
	tables := map[string]*sql.Table{}
	for _, name := range []string{"t_int", "t_varchar", "t_blob", "t_bool", "t_uuid", "t_ts", "t_float", "t_multi", "t_all"} {
		t := must(sqlTx.Catalog().GetTableByName(name))
		tables[name] = t
		jt := sqlTable{Name: name, TableID: t.ID()}
		for _, c := range t.Cols() {
			jt.Columns = append(jt.Columns, sqlCol{ID: c.ID(), Name: c.Name(), Type: string(c.Type()), MaxLen: c.MaxLen()})
		}
		for _, c := range t.PrimaryIndex().Cols() {
			jt.PKColIDs = append(jt.PKColIDs, c.ID())
		}
		f.Tables = append(f.Tables, jt)
	}

	// index every row key of the store: R. key -> (tx id, value)
	type loc struct {
		tx    uint64
		value []byte
	}
	rows := map[string]loc{}
	for id := uint64(1); id <= st.TxCount(); id++ {
		tx := readTx(st, id)
		for _, e := range tx.Entries() {
			k := e.Key()
			if len(k) > 3 && k[0] == 0x02 && string(k[1:3]) == sql.RowPrefix {
				rows[string(k)] = loc{id, must(st.ReadValue(e))}
			}
		}
	}

	for _, in := range inserts {
		t := tables[in.table]
		row := sqlRow{Name: in.name, Table: in.table, DbID: 1, TableID: t.ID()}
		var pkEnc [][]byte
		for _, c := range t.PrimaryIndex().Cols() {
			raw := in.params[c.Name()]
			enc, _ := must2(sql.EncodeRawValueAsKey(raw, c.Type(), c.MaxLen()))
			pkEnc = append(pkEnc, enc)
			row.PKs = append(row.PKs, sqlPK{Col: c.ID(), MaxLen: c.MaxLen(), Value: toSQLValue(c.Type(), raw), Encoded: hx(enc)})
		}
		rowKey := sql.MapKey([]byte{0x02}, sql.RowPrefix, append([][]byte{sql.EncodeID(1), sql.EncodeID(t.ID()), sql.EncodeID(sql.PKIndexID)}, pkEnc...)...)
		l, ok := rows[string(rowKey)]
		assert(ok, "row key of %s not found in the store", in.name)
		row.RowKey = hx(rowKey)
		row.RowValue = hx(l.value)
		// decode the row value
		b := l.value
		count := binary.BigEndian.Uint32(b)
		off := 4
		colsByID := map[uint32]*sql.Column{}
		for _, c := range t.Cols() {
			colsByID[c.ID()] = c
		}
		for i := uint32(0); i < count; i++ {
			colID := binary.BigEndian.Uint32(b[off:])
			off += 4
			c := colsByID[colID]
			tv, n := must2(sql.DecodeValue(b[off:], c.Type()))
			vlen := int(binary.BigEndian.Uint32(b[off:]))
			rawBytes := b[off+4 : off+4+vlen]
			row.Columns = append(row.Columns, sqlRowCol{ColID: colID, Raw: hx(rawBytes), Value: toSQLValue(c.Type(), normalizeRaw(c.Type(), tv.RawValue(), rawBytes))})
			off += n
		}
		assert(off == len(b), "row value fully decoded")
		tx := readTx(st, l.tx)
		hdr := tx.Header()
		spec := &store.EntrySpec{Key: rowKey, Value: l.value}
		d := store.EntrySpecDigest_v1(spec)
		p := must(tx.Proof(rowKey))
		row.TxID = dec(l.tx)
		row.Version = hdr.Version
		row.Digest = hd(d)
		row.Eh = hd(hdr.Eh)
		row.Proof = ipToJ(p)
		row.GoOk = htree.VerifyInclusion(p, d, hdr.Eh)
		assert(row.GoOk, "sql row proof")
		f.Rows = append(f.Rows, row)
	}

	// standalone key encodings, including NULL and errors
	pk := func(name string, raw any, t sql.SQLValueType, maxLen int) {
		c := sqlPKCase{Name: name, MaxLen: maxLen, Value: toSQLValue(t, raw)}
		enc, _, err := sql.EncodeRawValueAsKey(raw, t, maxLen)
		if err != nil {
			c.GoErr = err.Error()
		} else {
			c.Encoded = hx(enc)
		}
		f.PKEncodings = append(f.PKEncodings, c)
	}
	pk("INTEGER 0", int64(0), sql.IntegerType, 8)
	pk("INTEGER -1", int64(-1), sql.IntegerType, 8)
	pk("INTEGER min", int64(math.MinInt64), sql.IntegerType, 8)
	pk("INTEGER max", int64(math.MaxInt64), sql.IntegerType, 8)
	pk("NULL INTEGER", nil, sql.IntegerType, 8)
	pk("NULL VARCHAR", nil, sql.VarcharType, 10)
	pk("VARCHAR ascii", "abc", sql.VarcharType, 10)
	pk("VARCHAR multibyte (byte length)", "héllo-世界", sql.VarcharType, 14)
	pk("VARCHAR too long", "héllo-世界", sql.VarcharType, 13)
	pk("VARCHAR empty", "", sql.VarcharType, 1)
	pk("BLOB", []byte{1, 2}, sql.BLOBType, 4)
	pk("BLOB too long", []byte{1, 2, 3, 4, 5}, sql.BLOBType, 4)
	pk("BOOLEAN true", true, sql.BooleanType, 1)
	pk("BOOLEAN false", false, sql.BooleanType, 1)
	pk("UUID", u1, sql.UUIDType, 16)
	pk("TIMESTAMP", ts1, sql.TimestampType, 8)
	pk("TIMESTAMP before epoch", ts2, sql.TimestampType, 8)
	pk("FLOAT 1.5", 1.5, sql.Float64Type, 8)
	pk("FLOAT -1.5", -1.5, sql.Float64Type, 8)
	pk("FLOAT 0", 0.0, sql.Float64Type, 8)
	pk("FLOAT -0", math.Copysign(0, -1), sql.Float64Type, 8)
	pk("FLOAT -Infinity", math.Inf(-1), sql.Float64Type, 8)
	pk("maxLen 0", int64(1), sql.IntegerType, 0)
	pk("maxLen > MaxKeyLen", "x", sql.VarcharType, sql.MaxKeyLen+1)
	pk("INTEGER with maxLen 4", int64(1), sql.IntegerType, 4)
	return f
}

// normalizeRaw maps decoded Go values to the forms toSQLValue knows (JSON: its stored text).
func normalizeRaw(t sql.SQLValueType, v any, raw []byte) any {
	if t == sql.JSONType {
		return string(raw)
	}
	return v
}
