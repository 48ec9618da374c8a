package main

import (
	"crypto/sha256"
	"fmt"

	"github.com/codenotary/immudb/embedded/store"
)

type chainHeader struct {
	Header    *jHeader `json:"header"`
	InnerHash string   `json:"innerHash"`
	Alh       string   `json:"alh"`
}

type dualFile struct {
	Description string        `json:"description"`
	Headers     []chainHeader `json:"headers"`
	Cases       []dpCase      `json:"cases"`
}

type dual2File struct {
	Description string    `json:"description"`
	Cases       []dp2Case `json:"cases"`
}

type linearFile struct {
	Description        string    `json:"description"`
	LinearProofs       []lpCase  `json:"linearProofs"`
	LinearAdvanceProof []lapCase `json:"linearAdvanceProofs"`
}

func chainHeaders(st *store.ImmuStore) []chainHeader {
	var out []chainHeader
	for id := uint64(1); id <= st.TxCount(); id++ {
		h := must(st.ReadTxHeader(id, false, false))
		out = append(out, chainHeader{Header: hdrToJ(h), InnerHash: hd(innerHashOf(h)), Alh: hd(h.Alh())})
	}
	return out
}

func in(x uint64, xs ...uint64) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// longChain: every (source <= target) pair of test/data_long_linear_proof with Go's verdict; full
// tamper sets for every pair that needs a LinearAdvanceProof and for a sample of the others.
func longChain(st *store.ImmuStore) (dualFile, int) {
	n := st.TxCount()
	f := dualFile{
		Description: "Dual proofs for every (source <= target) pair of immudb's fixed store test/data_long_linear_proof " +
			"(30 txs written by an old immudb with MaxLinearProofLen; txs 11-20 have blTxId = 10), read with immudb v1.11.1 " +
			"store.DualProof; goOk = store.VerifyDualProof. Variants are JSON patches applied to the case; their goOk is " +
			"Go's verdict on the patched case.",
		Headers: chainHeaders(st),
	}
	lapPairs := 0
	for s := uint64(1); s <= n; s++ {
		for t := s; t <= n; t++ {
			c := newDPCase(st, s, t)
			assert(c.GoOk, "long chain %d->%d must verify", s, t)
			if c.NeedsLap {
				lapPairs++
			}
			// full tamper sets: a sample of pairs around the lagging range, including 9 pairs that need
			// a LinearAdvanceProof; the other LAP pairs get the LAP-specific tampers only
			sample := in(s, 1, 2, 10, 11, 20, 21, 30) && in(t, 1, 2, 10, 11, 12, 20, 21, 30)
			lapSample := c.NeedsLap && in(s, 12, 15, 20) && in(t, 21, 25, 30)
			switch {
			case sample || lapSample:
				c.Variants = dualVariants(c)
			case c.NeedsLap:
				c.Variants = lapOnlyVariants(c)
			}
			f.Cases = append(f.Cases, c)
		}
	}
	return f, lapPairs
}

func linearVectors(st *store.ImmuStore) linearFile {
	f := linearFile{Description: "Linear proofs (store.LinearProof / VerifyLinearProof) and linear advance proofs " +
		"(store.LinearAdvanceProof / VerifyLinearAdvanceProof) from test/data_long_linear_proof, plus Go's hard-coded edge cases."}
	alh := func(id uint64) digest { return must(st.ReadTxHeader(id, false, false)).Alh() }
	n := st.TxCount()
	pairs := [][2]uint64{}
	for s := uint64(1); s <= n; s++ {
		for t := s; t <= min(n, s+3); t++ {
			pairs = append(pairs, [2]uint64{s, t})
		}
	}
	pairs = append(pairs, [2]uint64{1, 30}, [2]uint64{10, 20}, [2]uint64{11, 30})
	for _, pr := range pairs {
		s, t := pr[0], pr[1]
		p := must(st.LinearProof(s, t))
		c := lpCase{Source: dec(s), Target: dec(t), SourceAlh: hd(alh(s)), TargetAlh: hd(alh(t)), Proof: lpToJ(p)}
		c.GoOk = verifyLP(generic(c))
		assert(c.GoOk && store.VerifyLinearProof(p, s, t, alh(s), alh(t)), "linear proof %d->%d", s, t)
		if in(s, 1, 10, 11, 29) || t-s == 0 {
			c.Variants = lpVariants(c)
		}
		f.LinearProofs = append(f.LinearProofs, c)
	}
	// verification_test.go TestVerifyLinearProofEdgeCases: Terms = [H("")]
	e := sha256.Sum256(nil)
	edge := func(name string, s, t uint64, terms []digest) {
		c := lpCase{Name: name, Source: dec(s), Target: dec(t), SourceAlh: hd(e), TargetAlh: hd(e),
			Proof: &jLinearProof{SourceTxID: dec(s), TargetTxID: dec(t), Terms: nonNil(hds(terms))}}
		c.GoOk = verifyLP(generic(c))
		f.LinearProofs = append(f.LinearProofs, c)
	}
	edge("Go edge case: terms [H('')], 1->1", 1, 1, []digest{e})
	edge("Go edge case: terms [H('')], 1->2 (too few terms)", 1, 2, []digest{e})
	edge("empty terms, 1->1", 1, 1, nil)
	edge("source 0", 0, 0, []digest{e})
	edge("source > target", 2, 1, []digest{e})

	// LinearAdvanceProofs: start = 10 (blTxId of txs 11-20), end in 12..20, tree sizes 20..29
	for _, end := range []uint64{12, 13, 15, 20} {
		for _, size := range []uint64{20, 21, 25, 29} {
			if end > size {
				continue
			}
			p := must(st.LinearAdvanceProof(10, end, size))
			root := must(st.ReadTxHeader(size+1, false, false)).BlRoot
			c := lapCase{Start: "10", End: dec(end), EndAlh: hd(alh(end)), TreeRoot: hd(root), TreeSize: dec(size), Proof: lapToJ(p)}
			c.GoOk = verifyLAP(generic(c))
			assert(c.GoOk, "LAP 10..%d in %d", end, size)
			if (end == 12 && size == 20) || (end == 15 && size == 25) || (end == 20 && size == 29) {
				c.Variants = lapVariants(c)
			}
			f.LinearAdvanceProof = append(f.LinearAdvanceProof, c)
		}
	}
	// trivial ranges: not needed, proof absent -> true; end < start -> false
	root := must(st.ReadTxHeader(30, false, false)).BlRoot
	for _, r := range [][2]uint64{{10, 10}, {10, 11}, {0, 1}, {11, 10}, {10, 12}} {
		c := lapCase{Name: fmt.Sprintf("range %d..%d without proof", r[0], r[1]), Start: dec(r[0]), End: dec(r[1]),
			EndAlh: hd(alh(max(1, r[1]))), TreeRoot: hd(root), TreeSize: "29"}
		c.GoOk = verifyLAP(generic(c))
		f.LinearAdvanceProof = append(f.LinearAdvanceProof, c)
	}
	return f
}

// normalChain: dual proofs and V2 proofs over the v1.11.1-written chain (blTxId = id-1).
func normalChain(st *store.ImmuStore) (dualFile, dual2File) {
	n := st.TxCount()
	f := dualFile{
		Description: "Dual proofs over a chain written by immudb v1.11.1 (embedded/store, blTxId = id-1, fixed timestamps); " +
			"headers are the txs of txs.json store 'v1chain'.",
		Headers: chainHeaders(st),
	}
	f2 := dual2File{Description: "DualProofV2 (store.DualProofV2 / VerifyDualProofV2) over the v1.11.1 chain, plus " +
		"hand-assembled V2 proofs over the lagging headers of test/data_long_linear_proof (Go rejects them)."}
	pick := []uint64{1, 2, 3, 5, 8, 13, 19, 20, 21, 30, 35, n}
	seen := map[[2]uint64]bool{}
	for _, s := range pick {
		for _, t := range pick {
			if s > t || seen[[2]uint64{s, t}] {
				continue
			}
			seen[[2]uint64{s, t}] = true
			c := newDPCase(st, s, t)
			assert(c.GoOk && !c.NeedsLap, "normal chain %d->%d", s, t)
			if in(s, 1, 2, 13, 20) && in(t, 1, 2, 3, 21, n) {
				c.Variants = dualVariants(c)
			}
			f.Cases = append(f.Cases, c)
			c2 := newDP2Case(st, s, t)
			assert(c2.GoOk, "v2 %d->%d", s, t)
			if in(s, 1, 2, 13, 20) && in(t, 1, 2, 3, 21, n) {
				c2.Variants = dual2Variants(c2)
			}
			f2.Cases = append(f2.Cases, c2)
		}
	}
	return f, f2
}

// laggingV2: V2 proofs over lagging headers, assembled from the v1 dual proof (the server refuses to
// build them); Go's VerifyDualProofV2 rejects them with ErrUnexpectedLinkingError.
func laggingV2(st *store.ImmuStore) []dp2Case {
	var out []dp2Case
	for _, pr := range [][2]uint64{{5, 15}, {12, 25}, {15, 15}, {21, 30}} {
		sh := must(st.ReadTxHeader(pr[0], false, false))
		th := must(st.ReadTxHeader(pr[1], false, false))
		p := must(st.DualProof(sh, th))
		v2 := &store.DualProofV2{SourceTxHeader: sh, TargetTxHeader: th, InclusionProof: p.InclusionProof, ConsistencyProof: p.ConsistencyProof}
		c := dp2Case{Name: fmt.Sprintf("long-linear-proof store %d->%d", pr[0], pr[1]), Source: dec(pr[0]), Target: dec(pr[1]),
			SourceAlh: hd(sh.Alh()), TargetAlh: hd(th.Alh()), Proof: dp2ToJ(v2)}
		err := verifyDP2(generic(c))
		c.GoOk = err == nil
		if err != nil {
			c.GoErr = err.Error()
		}
		out = append(out, c)
	}
	return out
}
