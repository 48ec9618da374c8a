package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math"
	"math/big"
	"os"
	"path/filepath"

	"github.com/codenotary/immudb/pkg/api/schema"
	"github.com/codenotary/immudb/pkg/signer"
)

type sigKey struct {
	Name     string `json:"name"`
	PEM      string `json:"pem"`
	RawPoint string `json:"rawPoint"`
}

type sigCase struct {
	Name      string `json:"name"`
	Db        string `json:"db"`
	TxID      string `json:"txId"`
	TxHash    string `json:"txHash"`
	Signing   string `json:"signingBytes"`
	Signature string `json:"signature"`
	Key       string `json:"key"` // name of the verifying key
	HighS     bool   `json:"highS"`
	GoOk      bool   `json:"goOk"`
	GoErr     string `json:"goErr,omitempty"`
}

type sigFile struct {
	Description string    `json:"description"`
	Keys        []sigKey  `json:"keys"`
	Cases       []sigCase `json:"cases"`
}

type ecdsaSig struct{ R, S *big.Int }

func loadPriv(path string) *ecdsa.PrivateKey {
	b, _ := pem.Decode(must(os.ReadFile(path)))
	return must(x509.ParseECPrivateKey(b.Bytes))
}

func signatureVectors() sigFile {
	dir := filepath.Join(moduleDir(), "test", "signer")
	f := sigFile{Description: "ImmutableState signatures (pkg/signer, P-256 ECDSA over SHA-256 of ImmutableState.ToBytes, DER). " +
		"Signed with immudb's test key test/signer/ec1.key using Go's deterministic RFC 6979 signing " +
		"(ecdsa.PrivateKey.Sign with a nil random source) so regeneration is reproducible; the high-S form is s' = n - s. " +
		"goOk = schema.ImmutableState.CheckSignature (i.e. pkg/signer.Verify) with the named key."}
	keys := map[string]*ecdsa.PublicKey{}
	for _, name := range []string{"ec1", "ec3"} {
		pemBytes := must(os.ReadFile(filepath.Join(dir, name+".pub")))
		pub := must(signer.ParsePublicKeyFile(filepath.Join(dir, name+".pub")))
		raw := elliptic.Marshal(pub.Curve, pub.X, pub.Y) //nolint:staticcheck // same encoding as pkg/signer
		rp := must(signer.UnmarshalKey(raw))
		assert(rp.Equal(pub), "raw point round trip")
		keys[name] = pub
		f.Keys = append(f.Keys, sigKey{Name: name, PEM: string(pemBytes), RawPoint: hx(raw)})
	}
	priv := loadPriv(filepath.Join(dir, "ec1.key"))
	assert(priv.PublicKey.Equal(keys["ec1"]), "ec1 key pair")
	n := elliptic.P256().Params().N

	check1 := func(c *sigCase) {
		st := &schema.ImmutableState{Db: c.Db, TxId: parseU64(c.TxID), TxHash: unhex(c.TxHash),
			Signature: &schema.Signature{Signature: unhex(c.Signature)}}
		assert(hx(st.ToBytes()) == c.Signing, "signing bytes")
		err := st.CheckSignature(keys[c.Key])
		c.GoOk = err == nil
		if err != nil {
			c.GoErr = err.Error()
		}
	}
	states := []struct {
		db   string
		tx   uint64
		hash []byte
	}{
		{"defaultdb", 42, bytes.Repeat([]byte{0x11}, 32)},
		{"defaultdb", 1, shaB(nil)},
		{"mydb", 30, unhex("8f100f34" + "00000000000000000000000000000000000000000000000000000000")},
		{"ünïcödé", math.MaxUint64, shaB([]byte("state"))},
		{"", 0, make([]byte, 32)},
		{"db", 7, shaB([]byte("a"))},
		{"db", 8, shaB([]byte("b"))},
		{"db", 9, shaB([]byte("c"))},
	}
	for _, s := range states {
		payload := (&schema.ImmutableState{Db: s.db, TxId: s.tx, TxHash: s.hash}).ToBytes()
		h := sha256.Sum256(payload)
		der := must(priv.Sign(nil, h[:], crypto.SHA256)) // RFC 6979: deterministic
		var sig ecdsaSig
		rest := must(asn1.Unmarshal(der, &sig))
		assert(len(rest) == 0, "der rest")
		low, high := new(big.Int).Set(sig.S), new(big.Int).Sub(n, sig.S)
		if low.Cmp(high) > 0 {
			low, high = high, low
		}
		lowDer := must(asn1.Marshal(ecdsaSig{sig.R, low}))
		highDer := must(asn1.Marshal(ecdsaSig{sig.R, high}))
		base := sigCase{Db: s.db, TxID: dec(s.tx), TxHash: hx(s.hash), Signing: hx(payload), Key: "ec1"}
		add := func(name string, sigBytes []byte, key string, highS bool, mut func(c *sigCase)) {
			c := base
			c.Name = name
			c.Signature = hx(sigBytes)
			c.Key = key
			c.HighS = highS
			if mut != nil {
				mut(&c)
			}
			check1(&c)
			f.Cases = append(f.Cases, c)
		}
		add("low-S", lowDer, "ec1", false, nil)
		add("high-S", highDer, "ec1", true, nil)
		last := f.Cases[len(f.Cases)-2:]
		assert(last[0].GoOk && last[1].GoOk, "both S forms must verify")
		if s.db != "defaultdb" || s.tx != 42 {
			continue
		}
		// negative / edge cases on the first state only
		add("wrong key (ec3)", lowDer, "ec3", false, nil)
		add("wrong key (ec3), high-S", highDer, "ec3", true, nil)
		add("txId+1", lowDer, "ec1", false, func(c *sigCase) {
			c.TxID = "43"
			c.Signing = hx((&schema.ImmutableState{Db: c.Db, TxId: 43, TxHash: unhex(c.TxHash)}).ToBytes())
		})
		add("db changed", lowDer, "ec1", false, func(c *sigCase) {
			c.Db = "defaultdc"
			c.Signing = hx((&schema.ImmutableState{Db: c.Db, TxId: 42, TxHash: unhex(c.TxHash)}).ToBytes())
		})
		add("txHash flipped", lowDer, "ec1", false, func(c *sigCase) {
			c.TxHash = flipHex(c.TxHash, 31)
			c.Signing = hx((&schema.ImmutableState{Db: c.Db, TxId: 42, TxHash: unhex(c.TxHash)}).ToBytes())
		})
		flipped := append([]byte{}, lowDer...)
		flipped[len(flipped)-1] ^= 0x01
		add("last signature byte flipped", flipped, "ec1", false, nil)
		add("trailing 00 byte after DER (Go ignores trailing data)", append(append([]byte{}, lowDer...), 0), "ec1", false, nil)
		add("truncated DER", lowDer[:len(lowDer)-1], "ec1", false, nil)
		raw := make([]byte, 64)
		sig.R.FillBytes(raw[:32])
		low.FillBytes(raw[32:])
		add("raw r||s (IEEE P1363) instead of DER", raw, "ec1", false, nil)
		add("empty signature", []byte{}, "ec1", false, nil)
		add("s = 0", must(asn1.Marshal(ecdsaSig{sig.R, big.NewInt(0)})), "ec1", false, nil)
		add("s = n (out of range)", must(asn1.Marshal(ecdsaSig{sig.R, new(big.Int).Set(n)})), "ec1", false, nil)
		add("r and s swapped", must(asn1.Marshal(ecdsaSig{low, sig.R})), "ec1", false, nil)
	}
	return f
}
