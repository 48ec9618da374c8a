package main

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"

	"github.com/codenotary/immudb/embedded/ahtree"
	"github.com/codenotary/immudb/embedded/htree"
)

// ---------------------------------------------------------------------------------------------
// htree

type htreeWidth struct {
	Width int    `json:"width"`
	Root  string `json:"root"`
	// Proofs[i] = terms of the inclusion proof of leaf i (leaf = i, width = Width), as indexes into Nodes
	Proofs [][]int `json:"proofs"`
}

type htreeNeg struct {
	Name   string           `json:"name"`
	Proof  *jInclusionProof `json:"proof"`
	Digest string           `json:"digest"`
	Root   string           `json:"root"`
	GoOk   bool             `json:"goOk"`
}

type htreeFile struct {
	Description string       `json:"description"`
	Digests     []string     `json:"digests"`
	Nodes       []string     `json:"nodes"`
	EmptyRoot   string       `json:"emptyRoot"`
	Widths      []htreeWidth `json:"widths"`
	Negative    []htreeNeg   `json:"negative"`
}

func htreeVectors() htreeFile {
	const maxW = 64
	var ds []digest
	for i := 0; i < maxW; i++ {
		ds = append(ds, sha256.Sum256(u64(uint64(i))))
	}
	empty := must(htree.New(0))
	check(empty.BuildWith(nil))
	f := htreeFile{
		Description: "htree (per-tx Merkle tree) from immudb v1.11.1 embedded/htree: digests[i] = SHA256(u64be(i)); for " +
			"each width w the root over digests[0..w-1] and the inclusion proof of every leaf (all verify with " +
			"htree.VerifyInclusion); proof terms are indexes into nodes (hex). negative: tampered proofs (hex) with Go's verdict.",
		Digests:   hds(ds),
		EmptyRoot: hd(empty.Root()),
	}
	assert(empty.Root() == sha256.Sum256(nil), "empty root")
	nodes := newNodeTable()
	for w := 1; w <= maxW; w++ {
		t := must(htree.New(w))
		check(t.BuildWith(ds[:w]))
		hw := htreeWidth{Width: w, Root: hd(t.Root())}
		for i := 0; i < w; i++ {
			p := must(t.InclusionProof(i))
			assert(htree.VerifyInclusion(p, ds[i], t.Root()), "htree %d/%d", i, w)
			assert(p.Leaf == i && p.Width == w, "htree proof leaf/width")
			hw.Proofs = append(hw.Proofs, nodes.refs(p.Terms))
		}
		f.Widths = append(f.Widths, hw)
		if w > 9 && w != 13 && w != 64 {
			continue
		}
		for i := 0; i < w; i++ {
			if w > 9 && i != 0 && i != w/2 && i != w-1 {
				continue
			}
			p := ipToJ(must(t.InclusionProof(i)))
			root := hd(t.Root())
			dg := hd(ds[i])
			negs := []htreeNeg{}
			add := func(name string, pp *jInclusionProof, d, r string) {
				negs = append(negs, htreeNeg{Name: fmt.Sprintf("w=%d leaf=%d: %s", w, i, name), Proof: pp, Digest: d, Root: r})
			}
			cp := func() *jInclusionProof {
				return &jInclusionProof{Leaf: p.Leaf, Width: p.Width, Terms: append([]string{}, p.Terms...)}
			}
			for k := range p.Terms {
				q := cp()
				q.Terms[k] = flipHex(q.Terms[k], k+i)
				add(fmt.Sprintf("flip term %d", k), q, dg, root)
			}
			if len(p.Terms) > 0 {
				q := cp()
				q.Terms = q.Terms[:len(q.Terms)-1]
				add("drop last term", q, dg, root)
			}
			q := cp()
			q.Terms = append(q.Terms, hd(sha([]byte("extra"))))
			add("append term", q, dg, root)
			if w > 1 {
				q = cp()
				q.Leaf = (i + 1) % w
				add("other leaf index", q, dg, root)
			}
			q = cp()
			q.Width = w + 1
			add("width+1", q, dg, root)
			if w > 1 {
				q = cp()
				q.Width = w - 1
				add("width-1", q, dg, root)
			}
			add("wrong digest", cp(), hd(ds[(i+1)%maxW]), root)
			add("wrong root", cp(), dg, flipHex(root, 0))
			if w > 1 && i == 0 {
				q = cp()
				q.Leaf = w
				add("leaf == width", q, dg, root)
			}
			for k := range negs {
				negs[k].GoOk = htree.VerifyInclusion(ipFromJ(negs[k].Proof), digestFromHex(negs[k].Digest), digestFromHex(negs[k].Root))
			}
			f.Negative = append(f.Negative, negs...)
		}
	}
	f.Nodes = nodes.list
	return f
}

// ---------------------------------------------------------------------------------------------
// ahtree

type ahtProof struct {
	I     string `json:"i"`
	J     string `json:"j"`
	Terms []int  `json:"terms"` // indexes into Nodes
}

type ahtNeg struct {
	Name  string   `json:"name"`
	Kind  string   `json:"kind"` // inclusion | consistency | lastInclusion
	I     string   `json:"i"`
	J     string   `json:"j"`
	Terms []string `json:"terms"`
	// inclusion: leaf = leaf hash of i, root = root of j; consistency: iRoot, jRoot;
	// lastInclusion: leaf = leaf hash of i, root = root of i
	A    string `json:"a"`
	B    string `json:"b"`
	GoOk bool   `json:"goOk"`
}

type ahtFile struct {
	Description   string     `json:"description"`
	Alhs          []string   `json:"alhs"`
	Leaves        []string   `json:"leaves"`
	Roots         []string   `json:"roots"`
	Nodes         []string   `json:"nodes"`
	Inclusion     []ahtProof `json:"inclusion"`
	Consistency   []ahtProof `json:"consistency"`
	LastInclusion []ahtProof `json:"lastInclusion"`
	Negative      []ahtNeg   `json:"negative"`
}

func ahtVectors(tmp string) ahtFile {
	const maxN = 64
	t := must(ahtree.Open(filepath.Join(tmp, "aht"), ahtree.DefaultOptions()))
	defer t.Close()
	f := ahtFile{Description: "AHT (global Merkle tree) from immudb v1.11.1 embedded/ahtree: leaf data alhs[n-1] = " +
		"SHA256(u64be(n)) appended for n = 1..64; leaves[n-1] = SHA256(0x00 || alhs[n-1]); roots[n-1] = RootAt(n). " +
		"inclusion: InclusionProof(i, j) for all 1 <= i <= j <= 64; consistency: ConsistencyProof(i, j) for all " +
		"1 <= i <= j <= 64; lastInclusion: InclusionProof(i, i). All verify with ahtree.Verify*. Proof terms are indexes " +
		"into nodes (hex). negative: tampered proofs (hex terms) with Go's verdict. " +
		"For negative cases a/b are (leaf_i, root_j) for inclusion, (root_i, root_j) for consistency, (leaf_i, root_i) for lastInclusion."}
	var leaves, roots []digest
	for n := uint64(1); n <= maxN; n++ {
		alh := sha256.Sum256(u64(n))
		_, _ = must2(t.Append(alh[:]))
		f.Alhs = append(f.Alhs, hd(alh))
		leaf := sha([]byte{ahtree.LeafPrefix}, alh[:])
		leaves = append(leaves, leaf)
		f.Leaves = append(f.Leaves, hd(leaf))
	}
	for n := uint64(1); n <= maxN; n++ {
		r := must(t.RootAt(n))
		roots = append(roots, r)
		f.Roots = append(f.Roots, hd(r))
	}
	assert(roots[0] == leaves[0], "root(1) == leaf(1)")
	nodes := newNodeTable()
	for j := uint64(1); j <= maxN; j++ {
		for i := uint64(1); i <= j; i++ {
			ip := must(t.InclusionProof(i, j))
			assert(ahtree.VerifyInclusion(ip, i, j, leaves[i-1], roots[j-1]), "aht incl %d %d", i, j)
			f.Inclusion = append(f.Inclusion, ahtProof{I: dec(i), J: dec(j), Terms: nodes.refs(ip)})
			cp := must(t.ConsistencyProof(i, j))
			assert(ahtree.VerifyConsistency(cp, i, j, roots[i-1], roots[j-1]), "aht cons %d %d", i, j)
			f.Consistency = append(f.Consistency, ahtProof{I: dec(i), J: dec(j), Terms: nodes.refs(cp)})
		}
		lp := must(t.InclusionProof(j, j))
		assert(ahtree.VerifyLastInclusion(lp, j, leaves[j-1], roots[j-1]), "aht last %d", j)
		f.LastInclusion = append(f.LastInclusion, ahtProof{I: dec(j), J: dec(j), Terms: nodes.refs(lp)})
	}
	f.Nodes = nodes.list

	verify := func(n *ahtNeg) bool {
		i, j := parseU64(n.I), parseU64(n.J)
		terms := digestsFromHex(n.Terms)
		a, b := digestFromHex(n.A), digestFromHex(n.B)
		switch n.Kind {
		case "inclusion":
			return ahtree.VerifyInclusion(terms, i, j, a, b)
		case "consistency":
			return ahtree.VerifyConsistency(terms, i, j, a, b)
		case "lastInclusion":
			return ahtree.VerifyLastInclusion(terms, i, a, b)
		}
		panic(n.Kind)
	}
	leafOr := func(i uint64) string {
		if i == 0 || i > maxN {
			return hd(sha([]byte("no leaf")))
		}
		return hd(leaves[i-1])
	}
	rootOr := func(i uint64) string {
		if i == 0 || i > maxN {
			return hd(sha([]byte("no root")))
		}
		return hd(roots[i-1])
	}
	var negs []ahtNeg
	mutations := func(kind string, i, j uint64, terms []string, a, b string, recompute func(i, j uint64) (string, string)) {
		add := func(name string, ii, jj uint64, ts []string, aa, bb string) {
			negs = append(negs, ahtNeg{Name: fmt.Sprintf("%s(%d,%d): %s", kind, i, j, name), Kind: kind, I: dec(ii), J: dec(jj),
				Terms: nonNil(ts), A: aa, B: bb})
		}
		for k := range terms {
			ts := append([]string{}, terms...)
			ts[k] = flipHex(ts[k], k)
			add(fmt.Sprintf("flip term %d", k), i, j, ts, a, b)
		}
		if len(terms) > 0 {
			add("drop first term", i, j, terms[1:], a, b)
			add("drop last term", i, j, terms[:len(terms)-1], a, b)
			add("no terms", i, j, nil, a, b)
		}
		add("append term", i, j, append(append([]string{}, terms...), hd(sha([]byte("extra")))), a, b)
		add("a flipped", i, j, terms, flipHex(a, 3), b)
		add("b flipped", i, j, terms, a, flipHex(b, 4))
		if i > 1 {
			aa, bb := recompute(i-1, j)
			add("i-1 (a/b recomputed)", i-1, j, terms, aa, bb)
		}
		if i < j {
			aa, bb := recompute(i+1, j)
			add("i+1 (a/b recomputed)", i+1, j, terms, aa, bb)
		}
		aa, bb := recompute(i, j+1)
		add("j+1 (a/b recomputed)", i, j+1, terms, aa, bb)
		if j > i {
			aa, bb = recompute(i, j-1)
			add("j-1 (a/b recomputed)", i, j-1, terms, aa, bb)
		}
		add("i = 0", 0, j, terms, a, b)
		if i < j {
			add("i > j (swapped)", j, i, terms, a, b)
		}
	}
	for j := uint64(1); j <= 9; j++ {
		for i := uint64(1); i <= j; i++ {
			ip := hds(must(t.InclusionProof(i, j)))
			mutations("inclusion", i, j, ip, hd(leaves[i-1]), hd(roots[j-1]), func(i, j uint64) (string, string) { return leafOr(i), rootOr(j) })
			cp := hds(must(t.ConsistencyProof(i, j)))
			mutations("consistency", i, j, cp, hd(roots[i-1]), hd(roots[j-1]), func(i, j uint64) (string, string) { return rootOr(i), rootOr(j) })
		}
		lp := hds(must(t.InclusionProof(j, j)))
		mutations("lastInclusion", j, j, lp, hd(leaves[j-1]), hd(roots[j-1]), func(i, _ uint64) (string, string) { return leafOr(i), rootOr(i) })
		// an inclusion proof of a non-last leaf used as last-inclusion proof (ahtree_test.go)
		if j > 1 {
			ip := hds(must(t.InclusionProof(j-1, j)))
			negs = append(negs, ahtNeg{Name: fmt.Sprintf("lastInclusion(%d): proof of leaf %d", j, j-1), Kind: "lastInclusion",
				I: dec(j), J: dec(j), Terms: ip, A: hd(leaves[j-2]), B: hd(roots[j-1])})
		}
	}
	// ahtree verification_test.go: empty proofs with i < j / i > j
	negs = append(negs,
		ahtNeg{Name: "inclusion: nil proof, i < j", Kind: "inclusion", I: "1", J: "2", Terms: []string{}, A: hd(leaves[0]), B: hd(roots[1])},
		ahtNeg{Name: "inclusion: nil proof, i > j", Kind: "inclusion", I: "2", J: "1", Terms: []string{}, A: hd(leaves[1]), B: hd(roots[0])},
		ahtNeg{Name: "inclusion: nil proof, i == j == 1", Kind: "inclusion", I: "1", J: "1", Terms: []string{}, A: hd(leaves[0]), B: hd(roots[0])},
		ahtNeg{Name: "consistency: nil proof, i < j", Kind: "consistency", I: "1", J: "2", Terms: []string{}, A: hd(roots[0]), B: hd(roots[1])},
		ahtNeg{Name: "consistency: nil proof, i > j", Kind: "consistency", I: "2", J: "1", Terms: []string{}, A: hd(roots[1]), B: hd(roots[0])},
		ahtNeg{Name: "consistency: nil proof, i == j, equal roots", Kind: "consistency", I: "5", J: "5", Terms: []string{}, A: hd(roots[4]), B: hd(roots[4])},
		ahtNeg{Name: "consistency: nil proof, i == j, different roots", Kind: "consistency", I: "5", J: "5", Terms: []string{}, A: hd(roots[4]), B: hd(roots[5])},
		ahtNeg{Name: "lastInclusion: i = 0", Kind: "lastInclusion", I: "0", J: "0", Terms: []string{}, A: hd(leaves[0]), B: hd(roots[0])},
	)
	for k := range negs {
		negs[k].GoOk = verify(&negs[k])
	}
	f.Negative = negs
	return f
}

func must2[A, B any](a A, b B, err error) (A, B) {
	check(err)
	return a, b
}
