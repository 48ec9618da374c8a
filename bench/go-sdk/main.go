// Command go-sdk-bench is the Go SDK driver of the immudb-ts comparative benchmark (bench/run.ts).
//
// It runs one workload cell with immudb's official Go SDK (github.com/codenotary/immudb/pkg/client) and prints
// one JSON line: the protocol shared by every driver (bench/lib/protocol.ts). Usage:
//
//	go-sdk-bench '<spec JSON>'
//
// CPU time and peak RSS come from getrusage(RUSAGE_SELF), so they are this process's own.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/codenotary/immudb/pkg/api/schema"
	"github.com/codenotary/immudb/pkg/client"
)

// Spec is one workload cell, as sent by the orchestrator.
type Spec struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	User        string `json:"user"`
	Password    string `json:"password"`
	Database    string `json:"database"`
	Workload    string `json:"workload"`
	Concurrency int    `json:"concurrency"`
	Mode        string `json:"mode"`
	WarmupMs    int    `json:"warmupMs"`
	DurationMs  int    `json:"durationMs"`
	ValueSize   int    `json:"valueSize"`
	KeyPrefix   string `json:"keyPrefix"`
	ReadPrefix  string `json:"readPrefix"`
	ReadCount   int    `json:"readCount"`
	BatchSize   int    `json:"batchSize"`
	PageSize    int    `json:"pageSize"`
	Total       int    `json:"total"`
	Table       string `json:"table"`
	StateDir    string `json:"stateDir"`
	Retry       struct {
		BaseMs float64 `json:"baseMs"`
		CapMs  float64 `json:"capMs"`
	} `json:"retry"`
}

// Result is the one JSON line printed on stdout.
type Result struct {
	Client     string  `json:"client"`
	Version    string  `json:"version"`
	Workload   string  `json:"workload"`
	Status     string  `json:"status"`
	Error      string  `json:"error,omitempty"`
	Ops        int64   `json:"ops"`
	Units      int64   `json:"units"`
	DurationMs float64 `json:"durationMs"`
	P50Ms      float64 `json:"p50Ms"`
	P99Ms      float64 `json:"p99Ms"`
	CPUUserMs  float64 `json:"cpuUserMs"`
	CPUSysMs   float64 `json:"cpuSysMs"`
	MaxRSSKiB  int64   `json:"maxRssKiB"`
	Retries    int64   `json:"retries"`
	Errors     int64   `json:"errors"`
	Clients    int     `json:"clients"`
}

const retryMessage = "max concurrency limit exceeded"

var errFatal = errors.New("fatal")

type runner struct {
	spec    Spec
	clients []client.ImmuClient
	value   []byte
	retries atomic.Int64
	errs    atomic.Int64
	ctx     context.Context
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go-sdk-bench '<spec JSON>'")
		os.Exit(2)
	}
	var spec Spec
	if err := json.Unmarshal([]byte(os.Args[1]), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "bad spec:", err)
		os.Exit(2)
	}
	res := run(spec)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func sdkVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/codenotary/immudb" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func run(spec Spec) (res Result) {
	res = Result{Client: "go-sdk", Version: sdkVersion(), Workload: spec.Workload, Status: "ok"}
	r := &runner{spec: spec, ctx: context.Background(), value: []byte(strings.Repeat("v", max(spec.ValueSize, 1)))}
	defer func() {
		for _, c := range r.clients {
			_ = c.CloseSession(context.Background())
		}
	}()
	fail := func(err error) Result {
		res.Status = "fails"
		res.Error = err.Error()
		res.Retries = r.retries.Load()
		res.Errors = r.errs.Load()
		res.MaxRSSKiB = rusage().Maxrss
		return res
	}

	n := 1
	if spec.Mode == "perWorker" {
		n = max(spec.Concurrency, 1)
	}
	for i := 0; i < n; i++ {
		dir := filepath.Join(spec.StateDir, "c"+strconv.Itoa(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fail(err)
		}
		opts := client.DefaultOptions().WithAddress(spec.Host).WithPort(spec.Port).WithDir(dir)
		c := client.NewClient().WithOptions(opts)
		if err := c.OpenSession(r.ctx, []byte(spec.User), []byte(spec.Password), spec.Database); err != nil {
			return fail(fmt.Errorf("open session: %w", err))
		}
		r.clients = append(r.clients, c)
	}
	res.Clients = n

	var m measurement
	var err error
	switch spec.Workload {
	case "set", "get", "verifiedSet", "verifiedGet":
		m, err = r.kv()
	case "setAll":
		m, err = r.setAll()
	case "scan":
		m, err = r.scan()
	case "sqlInsert":
		m, err = r.sqlInsert()
	case "sqlSelect":
		m, err = r.sqlSelect()
	default:
		err = fmt.Errorf("unknown workload %q", spec.Workload)
	}
	if err != nil {
		return fail(err)
	}
	res.Ops, res.Units, res.DurationMs = m.ops, m.units, m.durationMs
	res.P50Ms, res.P99Ms = quantile(m.latencies, 0.5), quantile(m.latencies, 0.99)
	res.CPUUserMs, res.CPUSysMs = m.cpuUserMs, m.cpuSysMs
	res.Retries, res.Errors = r.retries.Load(), r.errs.Load()
	res.MaxRSSKiB = rusage().Maxrss
	return res
}

type measurement struct {
	ops, units          int64
	durationMs          float64
	latencies           []float64
	cpuUserMs, cpuSysMs float64
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

func tvMs(tv syscall.Timeval) float64 { return float64(tv.Sec)*1000 + float64(tv.Usec)/1000 }

// timed runs fn between two getrusage readings and returns the elapsed time and CPU time.
func timed(fn func() error) (m measurement, err error) {
	ru0 := rusage()
	t0 := time.Now()
	err = fn()
	m.durationMs = float64(time.Since(t0).Microseconds()) / 1000
	ru1 := rusage()
	m.cpuUserMs = tvMs(ru1.Utime) - tvMs(ru0.Utime)
	m.cpuSysMs = tvMs(ru1.Stime) - tvMs(ru0.Stime)
	return m, err
}

// withRetry runs op, retrying immudb's "max concurrency limit exceeded" (30 write transactions in flight) with full
// jitter: attempt n waits a uniform random time in [0, min(cap, base·2^(n-1))). Same policy in every driver.
func (r *runner) withRetry(op func() error) error {
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), retryMessage) || attempt >= 1000 {
			r.errs.Add(1)
			return fmt.Errorf("%w: %v", errFatal, err)
		}
		r.retries.Add(1)
		capMs := min(r.spec.Retry.CapMs, r.spec.Retry.BaseMs*float64(uint64(1)<<min(attempt, 20)))
		time.Sleep(time.Duration(rand.Float64() * capMs * float64(time.Millisecond)))
	}
}

func (r *runner) readKey(i int) []byte {
	return []byte(fmt.Sprintf("%s%08d", r.spec.ReadPrefix, i))
}

// kv runs closed-loop workers (warm-up phase, then the measured phase) for set/get/verifiedSet/verifiedGet.
func (r *runner) kv() (measurement, error) {
	conc := max(r.spec.Concurrency, 1)
	op := func(c client.ImmuClient, worker int, seq *int, rng *rand.Rand) error {
		switch r.spec.Workload {
		case "set", "verifiedSet":
			*seq++
			key := []byte(r.spec.KeyPrefix + strconv.Itoa(worker) + ":" + strconv.Itoa(*seq))
			return r.withRetry(func() error {
				var err error
				if r.spec.Workload == "set" {
					_, err = c.Set(r.ctx, key, r.value)
				} else {
					_, err = c.VerifiedSet(r.ctx, key, r.value)
				}
				return err
			})
		default:
			key := r.readKey(rng.IntN(r.spec.ReadCount))
			return r.withRetry(func() error {
				var e *schema.Entry
				var err error
				if r.spec.Workload == "get" {
					e, err = c.Get(r.ctx, key)
				} else {
					e, err = c.VerifiedGet(r.ctx, key)
				}
				if err == nil && len(e.Value) != r.spec.ValueSize {
					err = fmt.Errorf("got a value of %d bytes, want %d", len(e.Value), r.spec.ValueSize)
				}
				return err
			})
		}
	}
	seqs := make([]int, conc)
	rngs := make([]*rand.Rand, conc)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(uint64(i)+1, 42))
	}
	phase := func(d time.Duration, record bool) ([]float64, int64, error) {
		end := time.Now().Add(d)
		var wg sync.WaitGroup
		var firstErr atomic.Value
		var stop atomic.Bool
		lats := make([][]float64, conc)
		for w := 0; w < conc; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c := r.clients[w%len(r.clients)]
				for !stop.Load() && time.Now().Before(end) {
					t := time.Now()
					if err := op(c, w, &seqs[w], rngs[w]); err != nil {
						firstErr.CompareAndSwap(nil, err)
						stop.Store(true)
						return
					}
					if record {
						lats[w] = append(lats[w], float64(time.Since(t).Nanoseconds())/1e6)
					}
				}
			}(w)
		}
		wg.Wait()
		var all []float64
		for _, l := range lats {
			all = append(all, l...)
		}
		if e, ok := firstErr.Load().(error); ok {
			return nil, 0, e
		}
		return all, int64(len(all)), nil
	}
	if _, _, err := phase(time.Duration(r.spec.WarmupMs)*time.Millisecond, false); err != nil {
		return measurement{}, err
	}
	var lats []float64
	var ops int64
	m, err := timed(func() error {
		var err error
		lats, ops, err = phase(time.Duration(r.spec.DurationMs)*time.Millisecond, true)
		return err
	})
	m.latencies, m.ops, m.units = lats, ops, ops
	return m, err
}

// setAll writes batches of BatchSize new keys in one transaction each, one after the other.
func (r *runner) setAll() (measurement, error) {
	c := r.clients[0]
	batch := 0
	one := func() error {
		batch++
		kvs := make([]*schema.KeyValue, r.spec.BatchSize)
		for i := range kvs {
			kvs[i] = &schema.KeyValue{Key: []byte(r.spec.KeyPrefix + strconv.Itoa(batch) + ":" + strconv.Itoa(i)), Value: r.value}
		}
		return r.withRetry(func() error {
			_, err := c.SetAll(r.ctx, &schema.SetRequest{KVs: kvs})
			return err
		})
	}
	return r.repeat(one, one, int64(r.spec.BatchSize))
}

// repeat runs warm() during the warm-up, then one() repeatedly (at least once) during the measured phase.
func (r *runner) repeat(warm, one func() error, unitsPerOp int64) (measurement, error) {
	for end := time.Now().Add(time.Duration(r.spec.WarmupMs) * time.Millisecond); time.Now().Before(end); {
		if err := warm(); err != nil {
			return measurement{}, err
		}
	}
	var lats []float64
	m, err := timed(func() error {
		end := time.Now().Add(time.Duration(r.spec.DurationMs) * time.Millisecond)
		for len(lats) == 0 || time.Now().Before(end) {
			t := time.Now()
			if err := one(); err != nil {
				return err
			}
			lats = append(lats, float64(time.Since(t).Nanoseconds())/1e6)
		}
		return nil
	})
	m.latencies, m.ops, m.units = lats, int64(len(lats)), int64(len(lats))*unitsPerOp
	return m, err
}

// scan reads every key under ReadPrefix in pages of PageSize (continuing after the last key) and checks the count.
func (r *runner) scan() (measurement, error) {
	c := r.clients[0]
	scanAll := func(want int) error {
		n := 0
		var seek []byte
		for want < 0 || n < want {
			page, err := c.Scan(r.ctx, &schema.ScanRequest{
				Prefix: []byte(r.spec.ReadPrefix), SeekKey: seek, Limit: uint64(r.spec.PageSize),
			})
			if err != nil {
				if strings.Contains(err.Error(), "no more entries") {
					break
				}
				return err
			}
			n += len(page.Entries)
			if len(page.Entries) < r.spec.PageSize {
				break
			}
			seek = page.Entries[len(page.Entries)-1].Key
		}
		if want >= 0 && n != want {
			return fmt.Errorf("scan returned %d keys, want %d", n, want)
		}
		return nil
	}
	// Warm-up: the first page only.
	return r.repeat(func() error { return scanAll(r.spec.PageSize) }, func() error { return scanAll(r.spec.Total) },
		int64(r.spec.Total))
}

func insertSQL(table string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (id, name, amount) VALUES ")
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		s := strconv.Itoa(i)
		b.WriteString("(@i" + s + ", @n" + s + ", @a" + s + ")")
	}
	return b.String()
}

func createTableSQL(table string) string {
	return "CREATE TABLE " + table + " (id INTEGER, name VARCHAR[64], amount INTEGER, PRIMARY KEY id)"
}

// sqlInsert creates the table, warms up on a separate table, then inserts Total rows in statements of BatchSize
// rows with named parameters (one transaction per statement).
func (r *runner) sqlInsert() (measurement, error) {
	c := r.clients[0]
	stmt := insertSQL(r.spec.Table, r.spec.BatchSize)
	warmStmt := insertSQL(r.spec.Table+"_warmup", r.spec.BatchSize)
	for _, t := range []string{r.spec.Table, r.spec.Table + "_warmup"} {
		if _, err := c.SQLExec(r.ctx, createTableSQL(t), nil); err != nil {
			return measurement{}, err
		}
	}
	insert := func(sql string, first int) error {
		params := make(map[string]interface{}, 3*r.spec.BatchSize)
		for i := 0; i < r.spec.BatchSize; i++ {
			s := strconv.Itoa(i)
			id := first + i
			params["i"+s] = int64(id)
			params["n"+s] = "name-" + strconv.Itoa(id)
			params["a"+s] = int64(id * 7)
		}
		return r.withRetry(func() error {
			_, err := c.SQLExec(r.ctx, sql, params)
			return err
		})
	}
	for i, end := 0, time.Now().Add(time.Duration(r.spec.WarmupMs)*time.Millisecond); time.Now().Before(end); i++ {
		if err := insert(warmStmt, i*r.spec.BatchSize); err != nil {
			return measurement{}, err
		}
	}
	var lats []float64
	m, err := timed(func() error {
		for first := 0; first < r.spec.Total; first += r.spec.BatchSize {
			t := time.Now()
			if err := insert(stmt, first); err != nil {
				return err
			}
			lats = append(lats, float64(time.Since(t).Nanoseconds())/1e6)
		}
		return nil
	})
	m.latencies, m.ops, m.units = lats, int64(len(lats)), int64(len(lats)*r.spec.BatchSize)
	return m, err
}

// sqlSelect streams every row of the table (SQLQueryReader, the SDK's streaming query) and checks the count.
func (r *runner) sqlSelect() (measurement, error) {
	c := r.clients[0]
	query := func(sql string, want int) error {
		rd, err := c.SQLQueryReader(r.ctx, sql, nil)
		if err != nil {
			return err
		}
		n := 0
		for rd.Next() {
			row, err := rd.Read()
			if err != nil {
				rd.Close()
				return err
			}
			if len(row) != 3 {
				rd.Close()
				return fmt.Errorf("row has %d columns", len(row))
			}
			n++
		}
		if err := rd.Close(); err != nil {
			return err
		}
		if want >= 0 && n != want {
			return fmt.Errorf("select returned %d rows, want %d", n, want)
		}
		return nil
	}
	sql := "SELECT id, name, amount FROM " + r.spec.Table
	// Warm-up: the first 1,000 rows.
	return r.repeat(func() error { return query(sql+" LIMIT 1000", 1000) }, func() error { return query(sql, r.spec.Total) },
		int64(r.spec.Total))
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(q * float64(len(s)))
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}
