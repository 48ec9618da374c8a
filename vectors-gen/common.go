package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/codenotary/immudb/embedded/logger"
	"github.com/codenotary/immudb/embedded/store"
	"github.com/codenotary/immudb/pkg/fs"
)

type digest = [sha256.Size]byte

// ---------------------------------------------------------------------------------------------
// scalar helpers

func hx(b []byte) string { return hex.EncodeToString(b) }

func hd(d digest) string { return hex.EncodeToString(d[:]) }

func hds(ds []digest) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = hd(d)
	}
	return out
}

func dec(u uint64) string { return strconv.FormatUint(u, 10) }

func deci(i int64) string { return strconv.FormatInt(i, 10) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

func assert(cond bool, format string, args ...any) {
	if !cond {
		panic(fmt.Sprintf("assertion failed: "+format, args...))
	}
}

func unhex(s string) []byte { return must(hex.DecodeString(s)) }

// digestFromHex mirrors schema.DigestFromProto: zero-pad / truncate to 32 bytes.
func digestFromHex(s string) digest {
	var d digest
	copy(d[:], unhex(s))
	return d
}

func digestsFromHex(ss []string) []digest {
	if ss == nil {
		return nil
	}
	out := make([]digest, len(ss))
	for i, s := range ss {
		out[i] = digestFromHex(s)
	}
	return out
}

func parseU64(s string) uint64 { return must(strconv.ParseUint(s, 10, 64)) }

func parseI64(s string) int64 { return must(strconv.ParseInt(s, 10, 64)) }

func sha(parts ...[]byte) digest {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

func shaB(parts ...[]byte) []byte {
	d := sha(parts...)
	return d[:]
}

func u16(n uint16) []byte { return binary.BigEndian.AppendUint16(nil, n) }
func u32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func flip(d digest, at int) digest {
	d[at%len(d)] ^= 0x01
	return d
}

func flipHex(s string, at int) string {
	b := unhex(s)
	if len(b) == 0 {
		return "01"
	}
	b[at%len(b)] ^= 0x01
	return hx(b)
}

// ---------------------------------------------------------------------------------------------
// JSON shapes shared by several vector files (they map 1:1 onto src/verify/types.ts)

type jTxMd struct {
	TruncatedTxID string `json:"truncatedTxId,omitempty"`
	Extra         string `json:"extra,omitempty"`
}

type jHeader struct {
	ID       string `json:"id"`
	PrevAlh  string `json:"prevAlh"`
	Ts       string `json:"ts"`
	NEntries int    `json:"nEntries"`
	Eh       string `json:"eh"`
	BlTxID   string `json:"blTxId"`
	BlRoot   string `json:"blRoot"`
	Version  int    `json:"version"`
	Metadata *jTxMd `json:"metadata,omitempty"`
}

type jLinearProof struct {
	SourceTxID string   `json:"sourceTxId"`
	TargetTxID string   `json:"targetTxId"`
	Terms      []string `json:"terms"`
}

type jLAP struct {
	LinearProofTerms []string   `json:"linearProofTerms"`
	InclusionProofs  [][]string `json:"inclusionProofs"`
}

type jDualProof struct {
	SourceTxHeader     *jHeader      `json:"sourceTxHeader"`
	TargetTxHeader     *jHeader      `json:"targetTxHeader"`
	InclusionProof     []string      `json:"inclusionProof"`
	ConsistencyProof   []string      `json:"consistencyProof"`
	TargetBlTxAlh      string        `json:"targetBlTxAlh"`
	LastInclusionProof []string      `json:"lastInclusionProof"`
	LinearProof        *jLinearProof `json:"linearProof"`
	LinearAdvanceProof *jLAP         `json:"linearAdvanceProof,omitempty"`
}

type jDualProofV2 struct {
	SourceTxHeader   *jHeader `json:"sourceTxHeader"`
	TargetTxHeader   *jHeader `json:"targetTxHeader"`
	InclusionProof   []string `json:"inclusionProof"`
	ConsistencyProof []string `json:"consistencyProof"`
}

func txMdToJ(md *store.TxMetadata) *jTxMd {
	if md == nil || md.IsEmpty() {
		return nil
	}
	j := &jTxMd{}
	if md.HasTruncatedTxID() {
		j.TruncatedTxID = dec(must(md.GetTruncatedTxID()))
	}
	j.Extra = hx(md.Extra())
	return j
}

// txMdFromJ mirrors schema.TxMetadataFromProto.
func txMdFromJ(j *jTxMd) *store.TxMetadata {
	if j == nil {
		return nil
	}
	md := store.NewTxMetadata()
	if j.TruncatedTxID != "" && parseU64(j.TruncatedTxID) > 0 {
		md.WithTruncatedTxID(parseU64(j.TruncatedTxID))
	}
	_ = md.WithExtra(unhex(j.Extra)) // Go ignores the error (too long extra is dropped)
	return md
}

func hdrToJ(h *store.TxHeader) *jHeader {
	if h == nil {
		return nil
	}
	return &jHeader{
		ID:       dec(h.ID),
		PrevAlh:  hd(h.PrevAlh),
		Ts:       deci(h.Ts),
		NEntries: h.NEntries,
		Eh:       hd(h.Eh),
		BlTxID:   dec(h.BlTxID),
		BlRoot:   hd(h.BlRoot),
		Version:  h.Version,
		Metadata: txMdToJ(h.Metadata),
	}
}

func hdrFromJ(j *jHeader) *store.TxHeader {
	if j == nil {
		return nil
	}
	return &store.TxHeader{
		ID:       parseU64(j.ID),
		PrevAlh:  digestFromHex(j.PrevAlh),
		Ts:       parseI64(j.Ts),
		NEntries: j.NEntries,
		Eh:       digestFromHex(j.Eh),
		BlTxID:   parseU64(j.BlTxID),
		BlRoot:   digestFromHex(j.BlRoot),
		Version:  j.Version,
		Metadata: txMdFromJ(j.Metadata),
	}
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func lpToJ(p *store.LinearProof) *jLinearProof {
	if p == nil {
		return nil
	}
	return &jLinearProof{SourceTxID: dec(p.SourceTxID), TargetTxID: dec(p.TargetTxID), Terms: nonNil(hds(p.Terms))}
}

func lpFromJ(j *jLinearProof) *store.LinearProof {
	if j == nil {
		return nil
	}
	return &store.LinearProof{SourceTxID: parseU64(j.SourceTxID), TargetTxID: parseU64(j.TargetTxID), Terms: digestsFromHex(j.Terms)}
}

func lapToJ(p *store.LinearAdvanceProof) *jLAP {
	if p == nil {
		return nil
	}
	j := &jLAP{LinearProofTerms: nonNil(hds(p.LinearProofTerms)), InclusionProofs: [][]string{}}
	for _, ip := range p.InclusionProofs {
		j.InclusionProofs = append(j.InclusionProofs, nonNil(hds(ip)))
	}
	return j
}

func lapFromJ(j *jLAP) *store.LinearAdvanceProof {
	if j == nil {
		return nil
	}
	p := &store.LinearAdvanceProof{LinearProofTerms: digestsFromHex(j.LinearProofTerms)}
	for _, ip := range j.InclusionProofs {
		p.InclusionProofs = append(p.InclusionProofs, digestsFromHex(ip))
	}
	return p
}

func dpToJ(p *store.DualProof) *jDualProof {
	return &jDualProof{
		SourceTxHeader:     hdrToJ(p.SourceTxHeader),
		TargetTxHeader:     hdrToJ(p.TargetTxHeader),
		InclusionProof:     nonNil(hds(p.InclusionProof)),
		ConsistencyProof:   nonNil(hds(p.ConsistencyProof)),
		TargetBlTxAlh:      hd(p.TargetBlTxAlh),
		LastInclusionProof: nonNil(hds(p.LastInclusionProof)),
		LinearProof:        lpToJ(p.LinearProof),
		LinearAdvanceProof: lapToJ(p.LinearAdvanceProof),
	}
}

func dpFromJ(j *jDualProof) *store.DualProof {
	if j == nil {
		return nil
	}
	return &store.DualProof{
		SourceTxHeader:     hdrFromJ(j.SourceTxHeader),
		TargetTxHeader:     hdrFromJ(j.TargetTxHeader),
		InclusionProof:     digestsFromHex(j.InclusionProof),
		ConsistencyProof:   digestsFromHex(j.ConsistencyProof),
		TargetBlTxAlh:      digestFromHex(j.TargetBlTxAlh),
		LastInclusionProof: digestsFromHex(j.LastInclusionProof),
		LinearProof:        lpFromJ(j.LinearProof),
		LinearAdvanceProof: lapFromJ(j.LinearAdvanceProof),
	}
}

func dp2ToJ(p *store.DualProofV2) *jDualProofV2 {
	return &jDualProofV2{
		SourceTxHeader:   hdrToJ(p.SourceTxHeader),
		TargetTxHeader:   hdrToJ(p.TargetTxHeader),
		InclusionProof:   nonNil(hds(p.InclusionProof)),
		ConsistencyProof: nonNil(hds(p.ConsistencyProof)),
	}
}

func dp2FromJ(j *jDualProofV2) *store.DualProofV2 {
	if j == nil {
		return nil
	}
	return &store.DualProofV2{
		SourceTxHeader:   hdrFromJ(j.SourceTxHeader),
		TargetTxHeader:   hdrFromJ(j.TargetTxHeader),
		InclusionProof:   digestsFromHex(j.InclusionProof),
		ConsistencyProof: digestsFromHex(j.ConsistencyProof),
	}
}

// ---------------------------------------------------------------------------------------------
// patches: a tampered variant is described as a list of operations on the JSON of the positive
// case. The Go verdict is always computed on the patched JSON converted back to Go types, so the
// TypeScript runner (which applies the same operations) checks exactly what Go checked.

type op struct {
	Op    string `json:"op"` // "set" | "del" | "push"
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

func set(path string, v any) op  { return op{Op: "set", Path: path, Value: v} }
func del(path string) op         { return op{Op: "del", Path: path} }
func push(path string, v any) op { return op{Op: "push", Path: path, Value: v} }

type variant struct {
	Name  string `json:"name"`
	Patch []op   `json:"patch"`
	GoOk  bool   `json:"goOk"`
	GoErr string `json:"goErr,omitempty"`
}

// generic converts a value into its generic JSON tree.
func generic(v any) any {
	b := must(json.Marshal(v))
	var g any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	check(d.Decode(&g))
	return g
}

func fromGeneric(g any, out any) {
	b := must(json.Marshal(g))
	check(json.Unmarshal(b, out))
}

func getAt(doc any, path string) any {
	if path == "" {
		return doc
	}
	cur := doc
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			cur = c[must(strconv.Atoi(seg))]
		default:
			panic("bad path " + path)
		}
	}
	return cur
}

func splitPath(path string) (string, string) {
	i := strings.LastIndex(path, ".")
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

// applyPatch returns a patched deep copy of doc.
func applyPatch(doc any, ops []op) any {
	d := generic(doc)
	for _, o := range ops {
		parentPath, last := splitPath(o.Path)
		switch o.Op {
		case "set":
			if parentPath == "" {
				d.(map[string]any)[last] = generic(o.Value)
				continue
			}
			parent := getAt(d, parentPath)
			switch p := parent.(type) {
			case map[string]any:
				p[last] = generic(o.Value)
			case []any:
				p[must(strconv.Atoi(last))] = generic(o.Value)
			default:
				panic("bad set path " + o.Path)
			}
		case "del":
			parent := getAt(d, parentPath)
			switch p := parent.(type) {
			case map[string]any:
				delete(p, last)
			case []any:
				i := must(strconv.Atoi(last))
				np := append(append([]any{}, p[:i]...), p[i+1:]...)
				setAt(d, parentPath, np)
			default:
				panic("bad del path " + o.Path)
			}
		case "push":
			arr, ok := getAt(d, o.Path).([]any)
			if !ok {
				arr = []any{}
			}
			setAt(d, o.Path, append(append([]any{}, arr...), generic(o.Value)))
		default:
			panic("bad op " + o.Op)
		}
	}
	return d
}

func setAt(doc any, path string, v any) {
	parentPath, last := splitPath(path)
	parent := getAt(doc, parentPath)
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
	case []any:
		p[must(strconv.Atoi(last))] = v
	default:
		panic("bad setAt path " + path)
	}
}

// nodeTable deduplicates digests: positive tree proofs refer to their terms by index into a shared
// table of hex digests, which keeps the exhaustive htree/AHT vectors small.
type nodeTable struct {
	idx  map[string]int
	list []string
}

func newNodeTable() *nodeTable { return &nodeTable{idx: map[string]int{}} }

func (t *nodeTable) refs(ds []digest) []int {
	out := make([]int, 0, len(ds))
	for _, d := range ds {
		h := hd(d)
		i, ok := t.idx[h]
		if !ok {
			i = len(t.list)
			t.idx[h] = i
			t.list = append(t.list, h)
		}
		out = append(out, i)
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// output

var outDir string

// writeJSON writes one vector file. Output is deterministic: struct field order, sorted map keys,
// one value per line (no indentation, to keep the files small).
func writeJSON(name string, v any) {
	b := must(json.MarshalIndent(v, "", ""))
	b = append(b, '\n')
	check(os.WriteFile(filepath.Join(outDir, name), b, 0o644))
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", name, len(b))
}

// ---------------------------------------------------------------------------------------------
// stores

var quiet = logger.NewSimpleLogger("vectors-gen", io.Discard)

// clock is the store time function: every commit reads the current value of now.
type clock struct{ now int64 }

func (c *clock) fn() time.Time { return time.Unix(c.now, 0) }

func moduleDir() string {
	if d := os.Getenv("IMMUDB_MODULE_DIR"); d != "" {
		return d
	}
	gomodcache := os.Getenv("GOMODCACHE")
	if gomodcache == "" {
		gomodcache = filepath.Join(must(os.UserHomeDir()), "go", "pkg", "mod")
	}
	return filepath.Join(gomodcache, "github.com", "codenotary", "immudb@v1.11.1")
}

// copyFixture copies a fixed store shipped in the (read-only) immudb module into a temp dir.
var fixtureCopies int

func copyFixture(tmp, rel string) string {
	fixtureCopies++
	dst := filepath.Join(tmp, fmt.Sprintf("%s-%d", strings.ReplaceAll(rel, "/", "_"), fixtureCopies))
	check(fs.NewStandardCopier().CopyDir(filepath.Join(moduleDir(), rel), dst))
	// the module cache is read-only: make the copy writable
	check(filepath.Walk(dst, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	}))
	return dst
}

func readTx(st *store.ImmuStore, id uint64) *store.Tx {
	tx := store.NewTx(st.MaxTxEntries(), st.MaxKeyLen())
	check(st.ReadTx(id, false, tx))
	return tx
}

// innerHashOf computes the inner hash as described in verification-spec §2.2 and checks it against
// Go's own Alh() (Alh = H(u64(id) ‖ prevAlh ‖ innerHash)), so a mismatch would abort generation.
func innerHashOf(h *store.TxHeader) digest {
	var b []byte
	b = append(b, u64(uint64(h.Ts))...)
	b = append(b, u16(uint16(h.Version))...)
	switch h.Version {
	case 0:
		b = append(b, u16(uint16(h.NEntries))...)
	case 1:
		var md []byte
		if h.Metadata != nil {
			md = h.Metadata.Bytes()
		}
		b = append(b, u16(uint16(len(md)))...)
		b = append(b, md...)
		b = append(b, u32(uint32(h.NEntries))...)
	default:
		panic("unsupported version")
	}
	b = append(b, h.Eh[:]...)
	b = append(b, u64(h.BlTxID)...)
	b = append(b, h.BlRoot[:]...)
	ih := sha(b)
	alh := h.Alh()
	assert(sha(u64(h.ID), h.PrevAlh[:], ih[:]) == alh, "innerHash of tx %d does not match Go's Alh", h.ID)
	return ih
}
