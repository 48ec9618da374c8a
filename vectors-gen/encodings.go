package main

import (
	"bytes"
	"crypto/sha256"
	"math"
	"time"

	"github.com/codenotary/immudb/embedded/store"
	"github.com/codenotary/immudb/pkg/api/schema"
	"github.com/codenotary/immudb/pkg/database"
)

type kvMdCase struct {
	Name  string `json:"name"`
	Md    *jKVMd `json:"md"` // null = no metadata
	Bytes string `json:"bytes"`
}

type txMdCase struct {
	Name  string `json:"name"`
	Md    *jTxMd `json:"md"`
	Bytes string `json:"bytes"`
}

type keyCase struct {
	Key     string `json:"key"`
	Encoded string `json:"encoded"`
}

type plainValueCase struct {
	Value   string `json:"value"`
	Encoded string `json:"encoded"`
}

type refValueCase struct {
	ReferencedKey string `json:"referencedKey"`
	AtTx          string `json:"atTx"`
	Encoded       string `json:"encoded"`
}

type zaddCase struct {
	Set       string `json:"set"`
	Score     string `json:"score"`
	ScoreBits string `json:"scoreBits"`
	Key       string `json:"key"`
	AtTx      string `json:"atTx"`
	Encoded   string `json:"encoded"`
}

type specCase struct {
	Name     string      `json:"name"`
	Input    *jSpecInput `json:"input"`
	Md       *jKVMd      `json:"md,omitempty"`
	Key      string      `json:"key"`
	Value    string      `json:"value"`
	HValue   string      `json:"hValue"`
	MdBytes  string      `json:"mdBytes"`
	DigestV0 string      `json:"digestV0,omitempty"` // only without metadata (v0 cannot carry KV metadata)
	DigestV1 string      `json:"digestV1"`
}

type stateCase struct {
	Db      string `json:"db"`
	TxID    string `json:"txId"`
	TxHash  string `json:"txHash"`
	Signing string `json:"signingBytes"`
}

type encodingsFile struct {
	Description   string           `json:"description"`
	KVMetadata    []kvMdCase       `json:"kvMetadata"`
	TxMetadata    []txMdCase       `json:"txMetadata"`
	Keys          []keyCase        `json:"keys"`
	PlainValues   []plainValueCase `json:"plainValues"`
	RefValues     []refValueCase   `json:"referenceValues"`
	ZAddKeys      []zaddCase       `json:"zaddKeys"`
	EntrySpecs    []specCase       `json:"entrySpecs"`
	StateBytes    []stateCase      `json:"stateSigningBytes"`
	Sha256        []keyCase        `json:"sha256"`
	DigestFromHex []keyCase        `json:"digestFromProto"`
}

func kvmd(deleted bool, expires *int64, nonIndexable bool) *store.KVMetadata {
	md := store.NewKVMetadata()
	check(md.AsDeleted(deleted))
	if expires != nil {
		check(md.ExpiresAt(time.Unix(*expires, 0)))
	}
	check(md.AsNonIndexable(nonIndexable))
	return md
}

func i64p(v int64) *int64 { return &v }

func encodingVectors() encodingsFile {
	f := encodingsFile{Description: "Encodings computed by immudb v1.11.1: KVMetadata.Bytes, TxMetadata.Bytes, " +
		"pkg/database Encode* (keys/values/zadd keys), EntrySpecDigest_v0/v1, ImmutableState.ToBytes, " +
		"schema.DigestFromProto. Binary inputs are hex; ids decimal strings. zadd scores: scoreBits is the exact IEEE-754 " +
		"pattern (big-endian hex), score a readable form (Infinity/-Infinity/-0 spelled out)."}

	type kvm struct {
		name string
		md   *store.KVMetadata
	}
	kvs := []kvm{
		{"absent", nil},
		{"empty KVMetadata{}", store.NewKVMetadata()},
		{"deleted", kvmd(true, nil, false)},
		{"expiresAt 1700000000", kvmd(false, i64p(1700000000), false)},
		{"nonIndexable", kvmd(false, nil, true)},
		{"deleted + expiresAt", kvmd(true, i64p(1700000000), false)},
		{"deleted + nonIndexable", kvmd(true, nil, true)},
		{"expiresAt + nonIndexable", kvmd(false, i64p(1700000000), true)},
		{"all three", kvmd(true, i64p(1700000000), true)},
		{"expiresAt 0 (present)", kvmd(false, i64p(0), false)},
		{"expiresAt -1", kvmd(false, i64p(-1), false)},
		{"expiresAt max int64", kvmd(false, i64p(math.MaxInt64), false)},
	}
	for _, k := range kvs {
		var b []byte
		var j *jKVMd
		if k.md != nil {
			b = k.md.Bytes()
			j = kvMdToJ(k.md)
			if j == nil {
				j = &jKVMd{}
			}
			// proto round trip (what the client does with server metadata)
			var rtb []byte
			if rt := schema.KVMetadataFromProto(schema.KVMetadataToProto(k.md)); rt != nil {
				rtb = rt.Bytes()
			}
			assert(bytes.Equal(rtb, b), "kv md proto round trip")
		}
		f.KVMetadata = append(f.KVMetadata, kvMdCase{Name: k.name, Md: j, Bytes: hx(b)})
	}

	type txm struct {
		name string
		md   *store.TxMetadata
	}
	txs := []txm{
		{"absent", nil},
		{"empty", store.NewTxMetadata()},
		{"truncatedTxId 5", txMd(5, "")},
		{"extra abc", txMd(0, "abc")},
		{"truncatedTxId 5 + extra abc", txMd(5, "abc")},
		{"truncatedTxId max uint64", txMd(math.MaxUint64, "")},
		{"extra 1 byte", txMd(0, "\x00")},
		{"extra 256 bytes", txMd(1, string(bytes.Repeat([]byte{0xab}, 256)))},
	}
	for _, t := range txs {
		var b []byte
		var j *jTxMd
		if t.md != nil {
			b = t.md.Bytes()
			j = txMdToJ(t.md)
			if j == nil {
				j = &jTxMd{}
			}
			var rtb []byte
			if rt := schema.TxMetadataFromProto(schema.TxMetadataToProto(t.md)); rt != nil {
				rtb = rt.Bytes()
			}
			assert(bytes.Equal(rtb, b), "tx md proto round trip")
		}
		f.TxMetadata = append(f.TxMetadata, txMdCase{Name: t.name, Md: j, Bytes: hx(b)})
	}

	for _, k := range [][]byte{{}, []byte("key1"), {0x00}, {0xff, 0x00, 0x01}, []byte("clé-ключ-鍵")} {
		f.Keys = append(f.Keys, keyCase{Key: hx(k), Encoded: hx(database.EncodeKey(k))})
		e := database.EncodeEntrySpec(k, nil, k)
		f.PlainValues = append(f.PlainValues, plainValueCase{Value: hx(k), Encoded: hx(e.Value)})
	}
	for _, r := range []struct {
		k    string
		atTx uint64
	}{{"key1", 0}, {"key1", 1}, {"", 42}, {"clé", math.MaxUint64}} {
		e := database.EncodeReference([]byte("x"), nil, []byte(r.k), r.atTx)
		f.RefValues = append(f.RefValues, refValueCase{ReferencedKey: hx([]byte(r.k)), AtTx: dec(r.atTx), Encoded: hx(e.Value)})
	}
	scores := []float64{1.5, 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 2.2250738585072014e-308, -123.456, 1e21, 9007199254740993}
	for i, s := range scores {
		set, key, atTx := "set1", "key1", uint64(0)
		if i%3 == 1 {
			set, key, atTx = "", "", 7
		}
		if i%3 == 2 {
			set, key, atTx = "sørted", "ключ", math.MaxUint64
		}
		e := database.EncodeZAdd([]byte(set), s, database.EncodeKey([]byte(key)), atTx)
		f.ZAddKeys = append(f.ZAddKeys, zaddCase{Set: hx([]byte(set)), Score: scoreString(s), ScoreBits: hx(u64(math.Float64bits(s))),
			Key: hx([]byte(key)), AtTx: dec(atTx), Encoded: hx(e.Key)})
	}
	// spec 1.5 example
	zk := database.EncodeZAdd([]byte("set1"), 1.5, database.EncodeKey([]byte("key1")), 0).Key
	assert(hx(zk) == "010000000000000004736574313ff80000000000000000000000000005006b6579310000000000000000", "spec zadd example")

	// entry specs and digests
	addSpec := func(name string, r entryReq) {
		e := r.spec
		var mdb []byte
		if e.Metadata != nil {
			mdb = e.Metadata.Bytes()
		}
		v := e.Value
		if v == nil {
			v = []byte{}
		}
		sc := specCase{Name: name, Input: r.input, Md: kvMdToJ(e.Metadata), Key: hx(e.Key), Value: hx(v), HValue: hd(sha256.Sum256(v)),
			MdBytes: hx(mdb), DigestV1: hd(store.EntrySpecDigest_v1(e))}
		if len(mdb) == 0 {
			sc.DigestV0 = hd(store.EntrySpecDigest_v0(e))
		}
		f.EntrySpecs = append(f.EntrySpecs, sc)
	}
	for _, k := range kvs {
		addSpec("plain key1=value1, md "+k.name, plain("key1", "value1", k.md))
	}
	addSpec("plain empty key, empty value", plain("", "", nil))
	addSpec("plain binary", plainB([]byte{0, 0xff}, []byte{0xde, 0xad, 0xbe, 0xef}, nil))
	addSpec("reference unbound", ref("ref1", "key1", 0, nil))
	addSpec("reference at tx 3", ref("ref1", "key1", 3, nil))
	addSpec("reference with md deleted", ref("ref1", "key1", 3, kvmd(true, nil, false)))
	addSpec("reference with md nonIndexable + expiresAt", ref("ref1", "key1", 0, kvmd(false, i64p(1800000000), true)))
	for i, s := range scores {
		addSpec("zadd "+scoreString(s), zadd("set1", s, "key1", uint64(i)))
	}
	addSpec("deleted key1 (empty value, no prefix)", deleted("key1", nil))

	// state signing bytes
	for _, s := range []struct {
		db   string
		tx   uint64
		hash []byte
	}{
		{"defaultdb", 42, bytes.Repeat([]byte{0x11}, 32)},
		{"", 0, make([]byte, 32)},
		{"ünïcödé", math.MaxUint64, shaB([]byte("x"))},
		{"db1", 1, shaB(nil)},
	} {
		st := &schema.ImmutableState{Db: s.db, TxId: s.tx, TxHash: s.hash}
		f.StateBytes = append(f.StateBytes, stateCase{Db: s.db, TxID: dec(s.tx), TxHash: hx(s.hash), Signing: hx(st.ToBytes())})
	}
	assert(f.StateBytes[0].Signing == "0000000964656661756c746462000000000000002a"+hx(bytes.Repeat([]byte{0x11}, 32)), "spec 5.1 example")

	for _, in := range [][]byte{{}, []byte("abc"), bytes.Repeat([]byte{0x61}, 1000)} {
		d := sha256.Sum256(in)
		f.Sha256 = append(f.Sha256, keyCase{Key: hx(in), Encoded: hd(d)})
	}
	for _, in := range [][]byte{{}, {1, 2, 3}, bytes.Repeat([]byte{0x42}, 32), append(bytes.Repeat([]byte{0x43}, 32), 1, 2)} {
		d := schema.DigestFromProto(in)
		f.DigestFromHex = append(f.DigestFromHex, keyCase{Key: hx(in), Encoded: hd(d)})
	}
	return f
}
