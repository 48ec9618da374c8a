// Command vectors-gen writes the reference test vectors of immudb-ts (test/vectors/data/*.json).
//
// Every value is computed or checked by immudb v1.11.1's own Go packages, imported from the Go
// module proxy (nothing of immudb is copied here). Output is deterministic: fixed timestamps via
// the store's time function, fixed inputs, RFC 6979 signatures.
//
//	GOWORK=off go run . [outDir]     (default ../test/vectors/data; run by `npm run vectors`)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/codenotary/immudb/embedded/store"
)

type fileStats struct {
	Positive       int `json:"positive"`
	Negative       int `json:"negative"`
	GoAcceptedNegs int `json:"goAcceptedNegatives"`
}

type manifest struct {
	Description string               `json:"description"`
	Immudb      string               `json:"immudb"`
	Files       map[string]fileStats `json:"files"`
}

func countVariants(vs []variant, st *fileStats) {
	for _, v := range vs {
		st.Negative++
		if v.GoOk {
			st.GoAcceptedNegs++
		}
	}
}

func main() {
	outDir = filepath.Join("..", "test", "vectors", "data")
	if len(os.Args) > 1 {
		outDir = os.Args[1]
	}
	check(os.MkdirAll(outDir, 0o755))
	tmp := must(os.MkdirTemp("", "immudb-ts-vectors-"))
	defer os.RemoveAll(tmp)

	m := manifest{
		Description: "Counts per file: positive = cases Go accepts as given; negative = tampered variants / negative cases; " +
			"goAcceptedNegatives = negatives that Go still accepts (the tamper hit something Go does not check).",
		Immudb: "github.com/codenotary/immudb v1.11.1",
		Files:  map[string]fileStats{},
	}

	// encodings
	enc := encodingVectors()
	writeJSON("encodings.json", enc)
	m.Files["encodings.json"] = fileStats{Positive: len(enc.KVMetadata) + len(enc.TxMetadata) + len(enc.Keys) + len(enc.PlainValues) +
		len(enc.RefValues) + len(enc.ZAddKeys) + len(enc.EntrySpecs) + len(enc.StateBytes) + len(enc.Sha256) + len(enc.DigestFromHex)}

	// transactions: v1 chain, v0 chain, fixed stores, synthetic headers
	v1 := buildV1Chain(tmp)
	v0 := buildV0Chain(tmp)
	txf := txsFile{Description: "Transactions with header fields, innerHash, Alh, entries (stored key, hValue, KV metadata, " +
		"entry digest, htree inclusion proof) read back from immudb v1.11.1 stores: 'v1chain' (written by v1.11.1, header v1, " +
		"every KV/tx metadata combination), 'v0chain' (v1.11.1 with WithWriteTxHeaderVersion(0)), 'data_v1.1.0/*' (fixed " +
		"stores written by immudb v1.1.0, header v0), 'data_long_linear_proof' (fixed store, lagging blTxId). input tells how " +
		"the entry was built (pkg/database Encode*); value is the stored (prefixed) value. synthetic: hand-built headers, " +
		"Alh by Go's TxHeader.Alh()."}
	txf.Txs = append(txf.Txs, v1.exportAll("v1chain")...)
	txf.Txs = append(txf.Txs, v0.exportAll("v0chain")...)
	txf.Txs = append(txf.Txs, exportFixture(tmp, "test/data_v1.1.0/defaultdb", "data_v1.1.0/defaultdb")...)
	txf.Txs = append(txf.Txs, exportFixture(tmp, "test/data_v1.1.0/systemdb", "data_v1.1.0/systemdb")...)
	txf.Txs = append(txf.Txs, exportFixture(tmp, "test/data_long_linear_proof", "data_long_linear_proof")...)
	txf.Synthetic = syntheticHeaders()
	writeJSON("txs.json", txf)
	{
		st := fileStats{Positive: len(txf.Synthetic)}
		for _, t := range txf.Txs {
			st.Positive += 1 + len(t.Entries)
			for _, e := range t.Entries {
				countVariants(e.Variants, &st)
			}
		}
		m.Files["txs.json"] = st
	}

	// normal chain dual proofs (v1.11.1, blTxId = id-1)
	nf, n2 := normalChain(v1.st)
	check(v0.st.Close())

	// long linear proof store
	longDir := copyFixture(tmp, "test/data_long_linear_proof")
	long := must(store.Open(longDir, store.DefaultOptions().WithSynced(false).WithMaxConcurrency(1).WithLogger(quiet)))
	lf, lapPairs := longChain(long)
	writeJSON("dualproof-long.json", lf)
	{
		st := fileStats{}
		for _, c := range lf.Cases {
			st.Positive++
			countVariants(c.Variants, &st)
		}
		m.Files["dualproof-long.json"] = st
		fmt.Fprintf(os.Stderr, "long chain: %d pairs, %d need a LinearAdvanceProof\n", len(lf.Cases), lapPairs)
	}
	writeJSON("dualproof-normal.json", nf)
	{
		st := fileStats{}
		for _, c := range nf.Cases {
			st.Positive++
			countVariants(c.Variants, &st)
		}
		m.Files["dualproof-normal.json"] = st
	}
	n2.Cases = append(n2.Cases, laggingV2(long)...)
	writeJSON("dualproof-v2.json", n2)
	{
		st := fileStats{}
		for _, c := range n2.Cases {
			if c.GoOk {
				st.Positive++
			} else {
				st.Negative++
			}
			countVariants(c.Variants, &st)
		}
		m.Files["dualproof-v2.json"] = st
	}
	lin := linearVectors(long)
	writeJSON("linear.json", lin)
	{
		st := fileStats{}
		for _, c := range lin.LinearProofs {
			if c.GoOk {
				st.Positive++
			} else {
				st.Negative++
			}
			countVariants(c.Variants, &st)
		}
		for _, c := range lin.LinearAdvanceProof {
			if c.GoOk {
				st.Positive++
			} else {
				st.Negative++
			}
			countVariants(c.Variants, &st)
		}
		m.Files["linear.json"] = st
	}
	check(long.Close())
	check(v1.st.Close())

	// trees
	ht := htreeVectors()
	writeJSON("htree.json", ht)
	{
		st := fileStats{Positive: 1}
		for _, w := range ht.Widths {
			st.Positive += 1 + len(w.Proofs)
		}
		for _, n := range ht.Negative {
			st.Negative++
			if n.GoOk {
				st.GoAcceptedNegs++
			}
		}
		m.Files["htree.json"] = st
	}
	at := ahtVectors(tmp)
	writeJSON("aht.json", at)
	{
		st := fileStats{Positive: len(at.Roots) + len(at.Inclusion) + len(at.Consistency) + len(at.LastInclusion)}
		for _, n := range at.Negative {
			st.Negative++
			if n.GoOk {
				st.GoAcceptedNegs++
			}
		}
		m.Files["aht.json"] = st
	}

	// linear fake
	lfk := linearFakeVectors(tmp)
	writeJSON("linear-fake.json", lfk)
	{
		st := fileStats{}
		for _, s := range lfk.Steps {
			if s.GoOk {
				st.Positive++
			} else {
				st.Negative++
			}
		}
		m.Files["linear-fake.json"] = st
	}

	// signatures
	sg := signatureVectors()
	writeJSON("signatures.json", sg)
	{
		st := fileStats{}
		for _, c := range sg.Cases {
			if c.Name == "low-S" || c.Name == "high-S" {
				st.Positive++
				continue
			}
			st.Negative++
			if c.GoOk {
				st.GoAcceptedNegs++
			}
		}
		m.Files["signatures.json"] = st
	}

	// sql
	sq := sqlVectors(tmp)
	writeJSON("sql.json", sq)
	{
		st := fileStats{Positive: len(sq.Rows)}
		for _, c := range sq.PKEncodings {
			if c.GoErr == "" {
				st.Positive++
			} else {
				st.Negative++
			}
		}
		m.Files["sql.json"] = st
	}

	writeJSON("manifest.json", m)
	names := make([]string, 0, len(m.Files))
	for k := range m.Files {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s := m.Files[k]
		fmt.Fprintf(os.Stderr, "%-22s positive %5d  negative %6d  go-accepted negatives %4d\n", k, s.Positive, s.Negative, s.GoAcceptedNegs)
	}
}
