package main

import (
	"fmt"
	"strconv"

	"github.com/codenotary/immudb/embedded/store"
)

type jRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type dpCase struct {
	Name      string      `json:"name,omitempty"`
	Source    string      `json:"source"`
	Target    string      `json:"target"`
	SourceAlh string      `json:"sourceAlh"`
	TargetAlh string      `json:"targetAlh"`
	Proof     *jDualProof `json:"proof"`
	LapRange  *jRange     `json:"lapRange,omitempty"`
	NeedsLap  bool        `json:"needsLap"`
	GoOk      bool        `json:"goOk"`
	Variants  []variant   `json:"variants,omitempty"`
}

type dp2Case struct {
	Name      string        `json:"name,omitempty"`
	Source    string        `json:"source"`
	Target    string        `json:"target"`
	SourceAlh string        `json:"sourceAlh"`
	TargetAlh string        `json:"targetAlh"`
	Proof     *jDualProofV2 `json:"proof"`
	GoOk      bool          `json:"goOk"`
	GoErr     string        `json:"goErr,omitempty"`
	Variants  []variant     `json:"variants,omitempty"`
}

func verifyDP(g any) bool {
	var c dpCase
	fromGeneric(g, &c)
	return store.VerifyDualProof(dpFromJ(c.Proof), parseU64(c.Source), parseU64(c.Target),
		digestFromHex(c.SourceAlh), digestFromHex(c.TargetAlh))
}

func verifyDP2(g any) error {
	var c dp2Case
	fromGeneric(g, &c)
	return store.VerifyDualProofV2(dp2FromJ(c.Proof), parseU64(c.Source), parseU64(c.Target),
		digestFromHex(c.SourceAlh), digestFromHex(c.TargetAlh))
}

func lapRange(p *store.DualProof, src uint64) *jRange {
	start := p.SourceTxHeader.BlTxID
	end := min(src, p.TargetTxHeader.BlTxID)
	return &jRange{Start: dec(start), End: dec(end)}
}

func newDPCase(st *store.ImmuStore, s, t uint64) dpCase {
	sh := must(st.ReadTxHeader(s, false, false))
	th := must(st.ReadTxHeader(t, false, false))
	p := must(st.DualProof(sh, th))
	c := dpCase{
		Source: dec(s), Target: dec(t), SourceAlh: hd(sh.Alh()), TargetAlh: hd(th.Alh()),
		Proof: dpToJ(p), LapRange: lapRange(p, s), NeedsLap: p.LinearAdvanceProof != nil,
	}
	// the JSON round trip must not change anything Go checks
	assert(store.VerifyDualProof(p, s, t, sh.Alh(), th.Alh()) == verifyDP(generic(c)), "round trip %d->%d", s, t)
	c.GoOk = verifyDP(generic(c))
	return c
}

// ---------------------------------------------------------------------------------------------
// tamper sets

type adder struct{ vs []variant }

func (a *adder) add(name string, ops ...op) { a.vs = append(a.vs, variant{Name: name, Patch: ops}) }

// listTampers: flip a byte of every term, drop the first / last term, append a term.
func (a *adder) listTampers(path string, list []string) {
	for k, t := range list {
		a.add(fmt.Sprintf("flip %s.%d", path, k), set(fmt.Sprintf("%s.%d", path, k), flipHex(t, k*7+3)))
	}
	if len(list) > 0 {
		a.add("drop first of "+path, del(path+".0"))
	}
	if len(list) > 1 {
		a.add("drop last of "+path, del(path+"."+strconv.Itoa(len(list)-1)))
	}
	a.add("append term to "+path, push(path, hd(sha([]byte("extra term")))))
}

// headerTampers: one variant per header field; if alhPath != "" also a second variant where the
// caller-side Alh is recomputed (by Go) from the tampered header, so the proof itself is exercised.
func (a *adder) headerTampers(base any, hpath, alhPath, idPath string, h *jHeader, decode func(g any) *jHeader) {
	type t struct {
		field string
		ops   []op
	}
	inc := func(s string) string { return dec(parseU64(s) + 1) }
	ts := []t{
		{"id+1", []op{set(hpath+".id", inc(h.ID))}},
		{"prevAlh", []op{set(hpath+".prevAlh", flipHex(h.PrevAlh, 5))}},
		{"ts+1", []op{set(hpath+".ts", deci(parseI64(h.Ts)+1))}},
		{"nEntries+1", []op{set(hpath+".nEntries", h.NEntries+1)}},
		{"eh", []op{set(hpath+".eh", flipHex(h.Eh, 9))}},
		{"blTxId+1", []op{set(hpath+".blTxId", inc(h.BlTxID))}},
		{"blRoot", []op{set(hpath+".blRoot", flipHex(h.BlRoot, 13))}},
		{"version", []op{set(hpath+".version", 1-h.Version)}},
	}
	if parseU64(h.BlTxID) > 0 {
		ts = append(ts, t{"blTxId-1", []op{set(hpath+".blTxId", dec(parseU64(h.BlTxID)-1))}})
	}
	if h.Metadata == nil {
		ts = append(ts, t{"metadata added", []op{set(hpath+".metadata", jTxMd{TruncatedTxID: "1"})}})
	} else {
		ts = append(ts, t{"metadata removed", []op{del(hpath + ".metadata")}})
	}
	for _, x := range ts {
		a.add(hpath+"."+x.field, x.ops...)
		if alhPath == "" {
			continue
		}
		ops := append([]op{}, x.ops...)
		if x.field == "id+1" && idPath != "" {
			ops = append(ops, set(idPath, inc(h.ID)))
		}
		nh := hdrFromJ(decode(applyPatch(base, ops)))
		ops = append(ops, set(alhPath, hd(nh.Alh())))
		a.add(hpath+"."+x.field+" (caller alh recomputed)", ops...)
	}
}

func dualVariants(c dpCase) []variant {
	c.Variants = nil
	base := generic(c)
	p := c.Proof
	a := &adder{}
	a.add("sourceAlh", set("sourceAlh", flipHex(c.SourceAlh, 1)))
	a.add("targetAlh", set("targetAlh", flipHex(c.TargetAlh, 2)))
	a.add("source+1", set("source", dec(parseU64(c.Source)+1)))
	a.add("target+1", set("target", dec(parseU64(c.Target)+1)))
	if c.Source != c.Target {
		a.add("swap source/target",
			set("source", c.Target), set("target", c.Source),
			set("sourceAlh", c.TargetAlh), set("targetAlh", c.SourceAlh),
			set("proof.sourceTxHeader", p.TargetTxHeader), set("proof.targetTxHeader", p.SourceTxHeader))
	}
	decS := func(g any) *jHeader { var x dpCase; fromGeneric(g, &x); return x.Proof.SourceTxHeader }
	decT := func(g any) *jHeader { var x dpCase; fromGeneric(g, &x); return x.Proof.TargetTxHeader }
	a.headerTampers(base, "proof.sourceTxHeader", "sourceAlh", "source", p.SourceTxHeader, decS)
	a.headerTampers(base, "proof.targetTxHeader", "targetAlh", "target", p.TargetTxHeader, decT)
	a.add("targetBlTxAlh", set("proof.targetBlTxAlh", flipHex(p.TargetBlTxAlh, 17)))
	a.listTampers("proof.inclusionProof", p.InclusionProof)
	a.listTampers("proof.consistencyProof", p.ConsistencyProof)
	a.listTampers("proof.lastInclusionProof", p.LastInclusionProof)
	a.listTampers("proof.linearProof.terms", p.LinearProof.Terms)
	a.add("linearProof.sourceTxId+1", set("proof.linearProof.sourceTxId", dec(parseU64(p.LinearProof.SourceTxID)+1)))
	a.add("linearProof.targetTxId+1", set("proof.linearProof.targetTxId", dec(parseU64(p.LinearProof.TargetTxID)+1)))
	if p.LinearAdvanceProof != nil {
		lap := p.LinearAdvanceProof
		a.add("linearAdvanceProof removed", del("proof.linearAdvanceProof"))
		a.listTampers("proof.linearAdvanceProof.linearProofTerms", lap.LinearProofTerms)
		for k, ip := range lap.InclusionProofs {
			a.listTampers(fmt.Sprintf("proof.linearAdvanceProof.inclusionProofs.%d", k), ip)
		}
		a.add("drop last LAP inclusion proof", del(fmt.Sprintf("proof.linearAdvanceProof.inclusionProofs.%d", len(lap.InclusionProofs)-1)))
		a.add("append LAP inclusion proof", push("proof.linearAdvanceProof.inclusionProofs", lap.InclusionProofs[0]))
	} else {
		a.add("unneeded linearAdvanceProof added", set("proof.linearAdvanceProof", jLAP{
			LinearProofTerms: []string{hd(sha([]byte("bogus")))}, InclusionProofs: [][]string{}}))
	}
	for i := range a.vs {
		a.vs[i].GoOk = verifyDP(applyPatch(base, a.vs[i].Patch))
	}
	return a.vs
}

// lapOnlyVariants: the tampers aimed at the LinearAdvanceProof alone.
func lapOnlyVariants(c dpCase) []variant {
	c.Variants = nil
	base := generic(c)
	lap := c.Proof.LinearAdvanceProof
	a := &adder{}
	a.add("linearAdvanceProof removed", del("proof.linearAdvanceProof"))
	last := len(lap.LinearProofTerms) - 1
	a.add("flip proof.linearAdvanceProof.linearProofTerms.0", set("proof.linearAdvanceProof.linearProofTerms.0", flipHex(lap.LinearProofTerms[0], 3)))
	a.add(fmt.Sprintf("flip proof.linearAdvanceProof.linearProofTerms.%d", last),
		set(fmt.Sprintf("proof.linearAdvanceProof.linearProofTerms.%d", last), flipHex(lap.LinearProofTerms[last], 4)))
	a.add("drop last of proof.linearAdvanceProof.linearProofTerms", del(fmt.Sprintf("proof.linearAdvanceProof.linearProofTerms.%d", last)))
	for k, ip := range lap.InclusionProofs {
		if len(ip) > 0 {
			a.add(fmt.Sprintf("flip proof.linearAdvanceProof.inclusionProofs.%d.0", k),
				set(fmt.Sprintf("proof.linearAdvanceProof.inclusionProofs.%d.0", k), flipHex(ip[0], k)))
		}
	}
	a.add("drop last LAP inclusion proof", del(fmt.Sprintf("proof.linearAdvanceProof.inclusionProofs.%d", len(lap.InclusionProofs)-1)))
	for i := range a.vs {
		a.vs[i].GoOk = verifyDP(applyPatch(base, a.vs[i].Patch))
	}
	return a.vs
}

func dual2Variants(c dp2Case) []variant {
	c.Variants = nil
	base := generic(c)
	p := c.Proof
	a := &adder{}
	a.add("sourceAlh", set("sourceAlh", flipHex(c.SourceAlh, 1)))
	a.add("targetAlh", set("targetAlh", flipHex(c.TargetAlh, 2)))
	a.add("source+1", set("source", dec(parseU64(c.Source)+1)))
	a.add("target+1", set("target", dec(parseU64(c.Target)+1)))
	if c.Source != c.Target {
		a.add("swap source/target",
			set("source", c.Target), set("target", c.Source),
			set("sourceAlh", c.TargetAlh), set("targetAlh", c.SourceAlh),
			set("proof.sourceTxHeader", p.TargetTxHeader), set("proof.targetTxHeader", p.SourceTxHeader))
	}
	decS := func(g any) *jHeader { var x dp2Case; fromGeneric(g, &x); return x.Proof.SourceTxHeader }
	decT := func(g any) *jHeader { var x dp2Case; fromGeneric(g, &x); return x.Proof.TargetTxHeader }
	a.headerTampers(base, "proof.sourceTxHeader", "sourceAlh", "source", p.SourceTxHeader, decS)
	a.headerTampers(base, "proof.targetTxHeader", "targetAlh", "target", p.TargetTxHeader, decT)
	a.listTampers("proof.inclusionProof", p.InclusionProof)
	a.listTampers("proof.consistencyProof", p.ConsistencyProof)
	for i := range a.vs {
		err := verifyDP2(applyPatch(base, a.vs[i].Patch))
		a.vs[i].GoOk = err == nil
		if err != nil {
			a.vs[i].GoErr = err.Error()
		}
	}
	return a.vs
}

func newDP2Case(st *store.ImmuStore, s, t uint64) dp2Case {
	sh := must(st.ReadTxHeader(s, false, false))
	th := must(st.ReadTxHeader(t, false, false))
	p := must(st.DualProofV2(sh, th))
	c := dp2Case{Source: dec(s), Target: dec(t), SourceAlh: hd(sh.Alh()), TargetAlh: hd(th.Alh()), Proof: dp2ToJ(p)}
	err := verifyDP2(generic(c))
	c.GoOk = err == nil
	if err != nil {
		c.GoErr = err.Error()
	}
	return c
}

// ---------------------------------------------------------------------------------------------
// linear proofs and linear advance proofs (standalone)

type lpCase struct {
	Name      string        `json:"name,omitempty"`
	Source    string        `json:"source"`
	Target    string        `json:"target"`
	SourceAlh string        `json:"sourceAlh"`
	TargetAlh string        `json:"targetAlh"`
	Proof     *jLinearProof `json:"proof"`
	GoOk      bool          `json:"goOk"`
	Variants  []variant     `json:"variants,omitempty"`
}

func verifyLP(g any) bool {
	var c lpCase
	fromGeneric(g, &c)
	return store.VerifyLinearProof(lpFromJ(c.Proof), parseU64(c.Source), parseU64(c.Target), digestFromHex(c.SourceAlh), digestFromHex(c.TargetAlh))
}

func lpVariants(c lpCase) []variant {
	c.Variants = nil
	base := generic(c)
	a := &adder{}
	a.add("sourceAlh", set("sourceAlh", flipHex(c.SourceAlh, 1)))
	a.add("targetAlh", set("targetAlh", flipHex(c.TargetAlh, 2)))
	a.add("source+1 (args and proof)", set("source", dec(parseU64(c.Source)+1)), set("proof.sourceTxId", dec(parseU64(c.Source)+1)))
	a.add("target+1 (args and proof)", set("target", dec(parseU64(c.Target)+1)), set("proof.targetTxId", dec(parseU64(c.Target)+1)))
	a.add("proof.sourceTxId+1", set("proof.sourceTxId", dec(parseU64(c.Source)+1)))
	a.add("proof.targetTxId+1", set("proof.targetTxId", dec(parseU64(c.Target)+1)))
	a.add("source 0", set("source", "0"), set("proof.sourceTxId", "0"))
	a.listTampers("proof.terms", c.Proof.Terms)
	a.add("proof removed", del("proof"))
	for i := range a.vs {
		a.vs[i].GoOk = verifyLP(applyPatch(base, a.vs[i].Patch))
	}
	return a.vs
}

type lapCase struct {
	Name     string    `json:"name,omitempty"`
	Start    string    `json:"start"`
	End      string    `json:"end"`
	EndAlh   string    `json:"endAlh"`
	TreeRoot string    `json:"treeRoot"`
	TreeSize string    `json:"treeSize"`
	Proof    *jLAP     `json:"proof,omitempty"`
	GoOk     bool      `json:"goOk"`
	Variants []variant `json:"variants,omitempty"`
}

func verifyLAP(g any) bool {
	var c lapCase
	fromGeneric(g, &c)
	return store.VerifyLinearAdvanceProof(lapFromJ(c.Proof), parseU64(c.Start), parseU64(c.End), digestFromHex(c.EndAlh),
		digestFromHex(c.TreeRoot), parseU64(c.TreeSize))
}

func lapVariants(c lapCase) []variant {
	c.Variants = nil
	base := generic(c)
	a := &adder{}
	a.add("endAlh", set("endAlh", flipHex(c.EndAlh, 3)))
	a.add("treeRoot", set("treeRoot", flipHex(c.TreeRoot, 4)))
	a.add("treeSize+1", set("treeSize", dec(parseU64(c.TreeSize)+1)))
	a.add("start+1", set("start", dec(parseU64(c.Start)+1)))
	a.add("end-1", set("end", dec(parseU64(c.End)-1)))
	a.add("end < start", set("end", dec(parseU64(c.Start)-1)))
	if c.Proof != nil {
		a.add("proof removed", del("proof"))
		a.listTampers("proof.linearProofTerms", c.Proof.LinearProofTerms)
		for k, ip := range c.Proof.InclusionProofs {
			a.listTampers(fmt.Sprintf("proof.inclusionProofs.%d", k), ip)
		}
		a.add("drop first inclusion proof", del("proof.inclusionProofs.0"))
		a.add("append inclusion proof", push("proof.inclusionProofs", c.Proof.InclusionProofs[0]))
	}
	for i := range a.vs {
		a.vs[i].GoOk = verifyLAP(applyPatch(base, a.vs[i].Patch))
	}
	return a.vs
}
