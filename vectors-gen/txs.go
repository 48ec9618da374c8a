package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/codenotary/immudb/embedded/htree"
	"github.com/codenotary/immudb/embedded/store"
	"github.com/codenotary/immudb/pkg/database"
)

// ---------------------------------------------------------------------------------------------
// JSON shapes

type jKVMd struct {
	Deleted      bool   `json:"deleted,omitempty"`
	ExpiresAt    string `json:"expiresAt,omitempty"`
	NonIndexable bool   `json:"nonIndexable,omitempty"`
}

type jInclusionProof struct {
	Leaf  int      `json:"leaf"`
	Width int      `json:"width"`
	Terms []string `json:"terms"`
}

// jSpecInput describes how an entry was built, so the TS side can rebuild it with its encoders.
type jSpecInput struct {
	Kind          string `json:"kind"` // plain | reference | zadd | deleted | raw
	Key           string `json:"key,omitempty"`
	Value         string `json:"value,omitempty"`
	ReferencedKey string `json:"referencedKey,omitempty"`
	AtTx          string `json:"atTx,omitempty"`
	Set           string `json:"set,omitempty"`
	Score         string `json:"score,omitempty"`
	ScoreBits     string `json:"scoreBits,omitempty"`
}

type jEntry struct {
	Key      string           `json:"key"`
	HValue   string           `json:"hValue"`
	VLen     int              `json:"vLen"`
	Metadata *jKVMd           `json:"metadata,omitempty"`
	MdBytes  string           `json:"mdBytes"`
	Value    *string          `json:"value,omitempty"` // stored (prefixed) value, when known
	Input    *jSpecInput      `json:"input,omitempty"`
	Digest   string           `json:"digest"`
	Proof    *jInclusionProof `json:"proof"`
	GoOk     bool             `json:"goOk"`
	// Variants: tampered entries (patches on this entry's JSON); goOk = Go's TxEntryDigest_v1_1/_v1_2 of the
	// patched entry verified with htree.VerifyInclusion against the tx's eh
	Variants []variant `json:"variants,omitempty"`
}

type jTx struct {
	Store     string   `json:"store"`
	Note      string   `json:"note,omitempty"`
	Header    *jHeader `json:"header"`
	TxMdBytes string   `json:"txMdBytes"`
	InnerHash string   `json:"innerHash"`
	Alh       string   `json:"alh"`
	Entries   []jEntry `json:"entries"`
}

type jSyntheticHeader struct {
	Name      string   `json:"name"`
	Header    *jHeader `json:"header"`
	TxMdBytes string   `json:"txMdBytes"`
	InnerHash string   `json:"innerHash"`
	Alh       string   `json:"alh"`
}

type txsFile struct {
	Description string             `json:"description"`
	Txs         []jTx              `json:"txs"`
	Synthetic   []jSyntheticHeader `json:"synthetic"`
}

func kvMdToJ(md *store.KVMetadata) *jKVMd {
	if md == nil || len(md.Bytes()) == 0 {
		return nil
	}
	j := &jKVMd{Deleted: md.Deleted(), NonIndexable: md.NonIndexable()}
	if md.IsExpirable() {
		j.ExpiresAt = deci(must(md.ExpirationTime()).Unix())
	}
	return j
}

func ipToJ(p *htree.InclusionProof) *jInclusionProof {
	return &jInclusionProof{Leaf: p.Leaf, Width: p.Width, Terms: nonNil(hds(p.Terms))}
}

func ipFromJ(j *jInclusionProof) *htree.InclusionProof {
	return &htree.InclusionProof{Leaf: j.Leaf, Width: j.Width, Terms: digestsFromHex(j.Terms)}
}

// ---------------------------------------------------------------------------------------------
// tx export

// exportTx reads tx id from st and exports header, hashes, entries, digests and inclusion proofs,
// cross-checking every value with Go's own functions. inputs maps stored key (hex) to how it was built.
func exportTx(st *store.ImmuStore, storeName string, id uint64, inputs map[string]*jSpecInput, values map[string][]byte) jTx {
	tx := readTx(st, id)
	hdr := tx.Header()
	hdrR := must(st.ReadTxHeader(id, false, false))
	assert(hdrR.Alh() == hdr.Alh(), "header mismatch")
	ih := innerHashOf(hdr)
	if id > 1 {
		lp := must(st.LinearProof(id-1, id))
		assert(lp.Terms[1] == ih, "innerHash vs LinearProof term")
	}
	var txmd []byte
	if hdr.Metadata != nil {
		txmd = hdr.Metadata.Bytes()
	}
	out := jTx{Store: storeName, Header: hdrToJ(hdr), TxMdBytes: hx(txmd), InnerHash: hd(ih), Alh: hd(hdr.Alh()), Entries: []jEntry{}}

	digestFn := must(hdr.TxEntryDigest())
	specDigestFn := must(store.EntrySpecDigestFor(hdr.Version))
	var digests []digest
	for _, e := range tx.Entries() {
		d := must(digestFn(e))
		digests = append(digests, d)
		var mdb []byte
		if e.Metadata() != nil {
			mdb = e.Metadata().Bytes()
		}
		key := append([]byte{}, e.Key()...)
		p := must(tx.Proof(key))
		je := jEntry{
			Key:      hx(key),
			HValue:   hd(e.HVal()),
			VLen:     e.VLen(),
			Metadata: kvMdToJ(e.Metadata()),
			MdBytes:  hx(mdb),
			Input:    inputs[hx(key)],
			Digest:   hd(d),
			Proof:    ipToJ(p),
			GoOk:     htree.VerifyInclusion(p, d, hdr.Eh),
		}
		assert(je.GoOk, "entry proof")
		if v, ok := values[hx(key)]; ok {
			s := hx(v)
			je.Value = &s
			assert(sha256.Sum256(v) == e.HVal(), "hValue of %s", hx(key))
			// Go's client-side digest of the same entry spec must agree with the stored digest
			spec := &store.EntrySpec{Key: key, Metadata: e.Metadata(), Value: v}
			assert(specDigestFn(spec) == d, "spec digest")
		}
		je.Variants = entryVariants(hdr.Version, je, hdr.Eh)
		out.Entries = append(out.Entries, je)
	}
	ht := must(htree.New(len(digests)))
	check(ht.BuildWith(digests))
	assert(ht.Root() == hdr.Eh, "eh of tx %d", id)
	return out
}

// ---------------------------------------------------------------------------------------------
// the v1.11.1 chain (header v1) and the v0 chain

type writer struct {
	st     *store.ImmuStore
	clk    *clock
	inputs map[uint64]map[string]*jSpecInput // tx id -> stored key (hex) -> how it was built
	values map[uint64]map[string][]byte      // tx id -> stored key (hex) -> stored value
	notes  map[uint64]string
}

func newWriter(dir string, clk *clock, version int) *writer {
	opts := store.DefaultOptions().WithSynced(false).WithMaxConcurrency(1).WithLogger(quiet).
		WithTimeFunc(clk.fn).WithWriteTxHeaderVersion(version)
	st := must(store.Open(dir, opts))
	return &writer{st: st, clk: clk, inputs: map[uint64]map[string]*jSpecInput{}, values: map[uint64]map[string][]byte{}, notes: map[uint64]string{}}
}

type entryReq struct {
	spec  *store.EntrySpec
	input *jSpecInput
}

func plain(key, value string, md *store.KVMetadata) entryReq {
	e := database.EncodeEntrySpec([]byte(key), md, []byte(value))
	return entryReq{e, &jSpecInput{Kind: "plain", Key: hx([]byte(key)), Value: hx([]byte(value))}}
}

func plainB(key, value []byte, md *store.KVMetadata) entryReq {
	e := database.EncodeEntrySpec(key, md, value)
	return entryReq{e, &jSpecInput{Kind: "plain", Key: hx(key), Value: hx(value)}}
}

func ref(key, refKey string, atTx uint64, md *store.KVMetadata) entryReq {
	e := database.EncodeReference([]byte(key), md, []byte(refKey), atTx)
	return entryReq{e, &jSpecInput{Kind: "reference", Key: hx([]byte(key)), ReferencedKey: hx([]byte(refKey)), AtTx: dec(atTx)}}
}

func scoreString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0 && math.Signbit(f):
		return "-0"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func zadd(set string, score float64, key string, atTx uint64) entryReq {
	e := database.EncodeZAdd([]byte(set), score, database.EncodeKey([]byte(key)), atTx)
	return entryReq{e, &jSpecInput{Kind: "zadd", Set: hx([]byte(set)), Score: scoreString(score),
		ScoreBits: hx(u64(math.Float64bits(score))), Key: hx([]byte(key)), AtTx: dec(atTx)}}
}

func deleted(key string, extra func(md *store.KVMetadata)) entryReq {
	md := store.NewKVMetadata()
	check(md.AsDeleted(true))
	if extra != nil {
		extra(md)
	}
	return entryReq{&store.EntrySpec{Key: database.EncodeKey([]byte(key)), Metadata: md, Value: nil},
		&jSpecInput{Kind: "deleted", Key: hx([]byte(key))}}
}

func (w *writer) commit(ts int64, txmd *store.TxMetadata, note string, entries ...entryReq) *store.TxHeader {
	w.clk.now = ts
	tx := must(w.st.NewWriteOnlyTx(context.Background()))
	if txmd != nil {
		tx.WithMetadata(txmd)
	}
	inputs := map[string]*jSpecInput{}
	values := map[string][]byte{}
	for _, e := range entries {
		check(tx.Set(e.spec.Key, e.spec.Metadata, e.spec.Value))
		inputs[hx(e.spec.Key)] = e.input
		v := e.spec.Value
		if v == nil {
			v = []byte{}
		}
		values[hx(e.spec.Key)] = v
	}
	hdr := must(tx.Commit(context.Background()))
	w.inputs[hdr.ID] = inputs
	w.values[hdr.ID] = values
	if note != "" {
		w.notes[hdr.ID] = note
	}
	return hdr
}

func (w *writer) exportAll(storeName string) []jTx {
	var out []jTx
	n := w.st.TxCount()
	for id := uint64(1); id <= n; id++ {
		t := exportTx(w.st, storeName, id, w.inputs[id], w.values[id])
		t.Note = w.notes[id]
		out = append(out, t)
	}
	return out
}

func mdExpires(ts int64) *store.KVMetadata {
	md := store.NewKVMetadata()
	check(md.ExpiresAt(time.Unix(ts, 0)))
	return md
}

func mdNonIndexable() *store.KVMetadata {
	md := store.NewKVMetadata()
	check(md.AsNonIndexable(true))
	return md
}

func mdExpiresNonIndexable(ts int64) *store.KVMetadata {
	md := mdExpires(ts)
	check(md.AsNonIndexable(true))
	return md
}

func txMd(truncated uint64, extra string) *store.TxMetadata {
	md := store.NewTxMetadata()
	if truncated > 0 {
		md.WithTruncatedTxID(truncated)
	}
	check(md.WithExtra([]byte(extra)))
	return md
}

const baseTs = int64(1700000000)

// buildV1Chain writes the v1.11.1 chain (BlTxID = ID-1) with every kind of entry and metadata.
// It stays open: the normal-chain dual proofs are read from it.
func buildV1Chain(tmp string) *writer {
	clk := &clock{}
	w := newWriter(filepath.Join(tmp, "v1chain"), clk, 1)
	ts := func(i int) int64 { return baseTs + int64(i)*10 }
	w.commit(ts(1), nil, "plain entry", plain("k1", "v1", nil))
	w.commit(ts(2), nil, "three plain entries", plain("k2a", "v2a", nil), plain("k2b", "v2b", nil), plain("k2c", "v2c", nil))
	w.commit(ts(3), nil, "unbound reference", ref("r3", "k1", 0, nil))
	w.commit(ts(4), nil, "reference bound at tx 1", ref("r4", "k1", 1, nil))
	w.commit(ts(5), nil, "zadd score 1.5", zadd("set1", 1.5, "k1", 0))
	w.commit(ts(6), nil, "zadd score -0 bound at tx 2", zadd("set1", math.Copysign(0, -1), "k2a", 2))
	w.commit(ts(7), nil, "zadd +Inf / -Inf", zadd("set2", math.Inf(1), "k2b", 0), zadd("set2", math.Inf(-1), "k2c", 0))
	w.commit(ts(8), nil, "zadd tiny / huge / negative scores",
		zadd("set3", math.SmallestNonzeroFloat64, "k1", 0), zadd("set3", math.MaxFloat64, "k2a", 0), zadd("set3", -123.456, "k2b", 0))
	w.commit(ts(9), nil, "kv metadata expiresAt", plain("k9", "v9", mdExpires(1800000000)))
	w.commit(ts(10), nil, "kv metadata nonIndexable", plain("k10", "v10", mdNonIndexable()))
	w.commit(ts(11), nil, "kv metadata expiresAt + nonIndexable", plain("k11", "v11", mdExpiresNonIndexable(1800000001)))
	w.commit(ts(12), nil, "kv metadata expiresAt = 0", plain("k12", "v12", mdExpires(0)))
	w.commit(ts(13), nil, "kv metadata negative expiresAt", plain("k13", "v13", mdExpires(-1)))

	// a genuine Delete (read-write tx) of k1
	clk.now = ts(14)
	rw := must(w.st.NewTx(context.Background(), store.DefaultTxOptions()))
	k1 := database.EncodeKey([]byte("k1"))
	check(rw.Delete(context.Background(), k1))
	hdr := must(rw.Commit(context.Background()))
	w.notes[hdr.ID] = "Delete(k1): deleted metadata, empty value"
	w.inputs[hdr.ID] = map[string]*jSpecInput{hx(k1): {Kind: "deleted", Key: hx([]byte("k1"))}}
	w.values[hdr.ID] = map[string][]byte{hx(k1): {}}

	w.commit(ts(15), nil, "deleted + nonIndexable", deleted("k2a", func(md *store.KVMetadata) { check(md.AsNonIndexable(true)) }))
	w.commit(ts(16), nil, "deleted + expiresAt + nonIndexable (all flags)", deleted("k2b", func(md *store.KVMetadata) {
		check(md.ExpiresAt(time.Unix(1700000000, 0)))
		check(md.AsNonIndexable(true))
	}))
	w.commit(ts(17), txMd(0, "abc"), "tx metadata extra", plain("k17", "v17", nil))
	w.commit(ts(18), txMd(5, ""), "tx metadata truncatedTxID", plain("k18", "v18", nil))
	w.commit(ts(19), txMd(5, "abc"), "tx metadata truncatedTxID + extra", plain("k19", "v19", mdExpires(1900000000)))
	w.commit(ts(20), txMd(7, ""), "truncation marker tx: tx metadata only, no entries")
	extra256 := bytes.Repeat([]byte{0xee}, 256)
	{
		md := store.NewTxMetadata()
		check(md.WithExtra(extra256))
		w.commit(ts(21), md, "tx metadata extra of maximal length 256", plain("k21", "v21", nil))
	}
	{
		var es []entryReq
		for i := 0; i < 11; i++ {
			switch i % 4 {
			case 0:
				es = append(es, plain("m"+strconv.Itoa(i), "value "+strconv.Itoa(i), nil))
			case 1:
				es = append(es, plain("m"+strconv.Itoa(i), "value "+strconv.Itoa(i), mdExpires(1700000000+int64(i))))
			case 2:
				es = append(es, ref("m"+strconv.Itoa(i), "k9", 9, nil))
			case 3:
				es = append(es, zadd("mset", float64(i), "m"+strconv.Itoa(i-1), 0))
			}
		}
		w.commit(ts(22), nil, "11 mixed entries (odd width)", es...)
	}
	w.commit(ts(23), nil, "empty user key and empty value", plain("", "", nil))
	w.commit(ts(24), nil, "binary key/value, 1 KiB value", plainB([]byte{0, 1, 2, 0xff}, bytes.Repeat([]byte("x"), 1024), nil))
	w.commit(ts(25), nil, "multibyte UTF-8 key", plain("clé-ключ-鍵", "värde", nil))
	w.commit(ts(26), nil, "reference with metadata", ref("r26", "k9", 0, mdNonIndexable()))
	for i := 27; i <= 36; i++ {
		w.commit(ts(i), nil, "", plain("n"+strconv.Itoa(i), "v"+strconv.Itoa(i), nil))
	}
	return w
}

func buildV0Chain(tmp string) *writer {
	clk := &clock{}
	w := newWriter(filepath.Join(tmp, "v0chain"), clk, 0)
	ts := func(i int) int64 { return 1600000000 + int64(i) }
	w.commit(ts(1), nil, "v0 plain entry", plain("a", "1", nil))
	w.commit(ts(2), nil, "v0 two plain entries", plain("b", "2", nil), plain("c", "3", nil))
	w.commit(ts(3), nil, "v0 reference", ref("ra", "a", 0, nil))
	w.commit(ts(4), nil, "v0 bound reference", ref("rb", "b", 2, nil))
	w.commit(ts(5), nil, "v0 zadd", zadd("s", 2.5, "a", 0))
	w.commit(ts(6), nil, "v0 five mixed entries", plain("d", "4", nil), plain("e", "5", nil), ref("rc", "c", 0, nil),
		zadd("s", -1, "b", 0), plain("f", "", nil))
	return w
}

// ---------------------------------------------------------------------------------------------
// fixed stores shipped in the immudb module

func exportFixture(tmp, rel, name string) []jTx {
	dir := copyFixture(tmp, rel)
	st := must(store.Open(dir, store.DefaultOptions().WithSynced(false).WithMaxConcurrency(1).WithLogger(quiet)))
	defer st.Close()
	var out []jTx
	for id := uint64(1); id <= st.TxCount(); id++ {
		t := exportTx(st, name, id, nil, nil)
		// values are readable from the store: include them so H(value) == hValue is checked too
		tx := readTx(st, id)
		for i, e := range tx.Entries() {
			v := must(st.ReadValue(e))
			s := hx(v)
			t.Entries[i].Value = &s
			assert(sha256.Sum256(v) == e.HVal(), "fixture hValue")
		}
		out = append(out, t)
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// synthetic headers (not committed by a store; Alh computed by Go's TxHeader.Alh)

func syntheticHeaders() []jSyntheticHeader {
	base := store.TxHeader{
		ID:       7,
		Ts:       1700000000,
		NEntries: 2,
		BlTxID:   6,
		BlRoot:   digestFromHex("ff70b77df86a144f83c2a925c3a4d407e373291b3008112ccef5d3fdf2c83eaa"),
		PrevAlh:  digestFromHex("84fd9bac333ad79154348296204fa7f8c537a96e08983e5f73b3f5aca8e8edf7"),
		Eh:       digestFromHex("0c044a36c373b6a8955cc7ce45b9be389e7bf39ec3690747e9f0a0f298fdca0a"),
	}
	type mod struct {
		name string
		f    func(h *store.TxHeader)
	}
	mods := []mod{
		{"spec 2.3: v1, truncated=5 extra=abc", func(h *store.TxHeader) { h.Version = 1; h.Metadata = txMd(5, "abc") }},
		{"spec 2.3: v0, no metadata", func(h *store.TxHeader) { h.Version = 0 }},
		{"v0 with tx metadata present (ignored by innerHash)", func(h *store.TxHeader) { h.Version = 0; h.Metadata = txMd(5, "abc") }},
		{"v1 without metadata", func(h *store.TxHeader) { h.Version = 1 }},
		{"v1 with empty metadata", func(h *store.TxHeader) { h.Version = 1; h.Metadata = store.NewTxMetadata() }},
		{"v1 extra only", func(h *store.TxHeader) { h.Version = 1; h.Metadata = txMd(0, "x") }},
		{"v1 negative ts", func(h *store.TxHeader) { h.Version = 1; h.Ts = -1 }},
		{"v0 negative ts", func(h *store.TxHeader) { h.Version = 0; h.Ts = -1700000000 }},
		{"v1 nEntries 70000 (u32)", func(h *store.TxHeader) { h.Version = 1; h.NEntries = 70000 }},
		{"v0 nEntries 65535 (u16)", func(h *store.TxHeader) { h.Version = 0; h.NEntries = 65535 }},
		{"v1 id 1, blTxId 0, zero blRoot, prevAlh H('')", func(h *store.TxHeader) {
			h.Version = 1
			h.ID = 1
			h.BlTxID = 0
			h.BlRoot = digest{}
			h.PrevAlh = sha256.Sum256(nil)
		}},
		{"v1 max uint64 id and blTxId", func(h *store.TxHeader) { h.Version = 1; h.ID = math.MaxUint64; h.BlTxID = math.MaxUint64 - 1 }},
		{"v1 max int64 ts", func(h *store.TxHeader) { h.Version = 1; h.Ts = math.MaxInt64 }},
		{"v1 min int64 ts", func(h *store.TxHeader) { h.Version = 1; h.Ts = math.MinInt64 }},
	}
	var out []jSyntheticHeader
	for _, m := range mods {
		h := base
		m.f(&h)
		var mdb []byte
		if h.Metadata != nil && h.Version == 1 {
			mdb = h.Metadata.Bytes()
		}
		out = append(out, jSyntheticHeader{Name: m.name, Header: hdrToJ(&h), TxMdBytes: hx(mdb), InnerHash: hd(innerHashOf(&h)), Alh: hd(h.Alh())})
	}
	return out
}

// kvMdFromJ mirrors schema.KVMetadataFromProto.
func kvMdFromJ(j *jKVMd) *store.KVMetadata {
	if j == nil {
		return nil
	}
	md := store.NewKVMetadata()
	check(md.AsDeleted(j.Deleted))
	if j.ExpiresAt != "" {
		check(md.ExpiresAt(time.Unix(parseI64(j.ExpiresAt), 0)))
	}
	check(md.AsNonIndexable(j.NonIndexable))
	return md
}

func verifyEntry(version int, g any, eh digest) bool {
	var e jEntry
	fromGeneric(g, &e)
	te := store.NewTxEntry(unhex(e.Key), kvMdFromJ(e.Metadata), e.VLen, digestFromHex(e.HValue), 0)
	var d digest
	var err error
	switch version {
	case 0:
		d, err = store.TxEntryDigest_v1_1(te)
	case 1:
		d, err = store.TxEntryDigest_v1_2(te)
	}
	if err != nil {
		return false
	}
	return htree.VerifyInclusion(ipFromJ(e.Proof), d, eh)
}

// entryVariants: the entry's value/hValue, key and metadata tampered, with Go's verdict.
func entryVariants(version int, e jEntry, eh digest) []variant {
	e.Variants = nil
	base := generic(e)
	a := &adder{}
	a.add("hValue flipped", set("hValue", flipHex(e.HValue, 7)))
	if e.Value != nil {
		v := unhex(*e.Value)
		if len(v) == 0 {
			v = []byte{0}
		} else {
			v[len(v)-1] ^= 0x01
		}
		a.add("value changed (hValue recomputed)", set("value", hx(v)), set("hValue", hd(sha256.Sum256(v))))
	}
	a.add("key: last byte flipped", set("key", flipHex(e.Key, len(e.Key)/2-1)))
	if len(e.Key) > 2 {
		a.add("key: prefix byte dropped", set("key", e.Key[2:]))
	}
	if e.Metadata == nil {
		a.add("metadata added: deleted", set("metadata", jKVMd{Deleted: true}))
		a.add("metadata added: empty", set("metadata", jKVMd{}))
	} else {
		a.add("metadata removed", del("metadata"))
		a.add("metadata: deleted toggled", set("metadata.deleted", !e.Metadata.Deleted))
		if e.Metadata.ExpiresAt != "" {
			a.add("metadata: expiresAt+1", set("metadata.expiresAt", deci(parseI64(e.Metadata.ExpiresAt)+1)))
		}
	}
	for i := range a.vs {
		a.vs[i].GoOk = verifyEntry(version, applyPatch(base, a.vs[i].Patch), eh)
	}
	return a.vs
}
