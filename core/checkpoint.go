package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
)

// Checkpoint format, version 1. All numbers are little-endian.
//
//	magic      "DLTC"
//	version    u16
//	shape      u32 inputs, u32 outputs,
//	           for a CNN: u32 0xffffffff, u32 channels, height, width,
//	             u8 global pooling, u32 blocks, per block u32 filters,
//	             kernel, stride, padding, dilation, pool size, pool stride,
//	             u8 batch norm, u8 residual, u8 pool (0 none, 1 max, 2 avg),
//	             u8 dropout; u32 augmentation crop, u8 flip;
//	           u32 hidden layers, u32 width of each,
//	           u8 batch norm, u8 dropout, u8 optimizer,
//	           u32 training samples, u32 batch size
//	progress   u32 epoch, u32 batch, u64 optimizer steps,
//	           f64 loss sum, i64 elapsed ns, f64 learning rate,
//	           f64 best validation loss, u32 epochs since best, u8 stopped
//	diag       u8 present; if present, per convolution and dense layer:
//	           f64 gradient RMS, f64 gradient max, f64 dead fraction,
//	           u32 × histBuckets histogram
//	slabs      parameters, batch-norm state, optimizer state 1 and 2:
//	           each u32 length + length × f32
//	crc        u32 CRC-32 (Castagnoli) of everything before it
//
// The random generators need no state: shuffling is seeded by the epoch
// and dropout by the batch number, both in the progress section.
const (
	ckptMagic   = "DLTC"
	ckptVersion = 1
	// ckptConv marks a CNN's shape where an MLP's has its number of hidden
	// layers, so that neither kind of trainer mistakes the other's
	// checkpoint for its own.
	ckptConv = 0xffffffff
)

var ckptTable = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary returns a checkpoint of the trainer: parameters, optimizer
// state, batch-normalization running statistics, the epoch and position
// within it (when Fit was cancelled mid-epoch), the partial epoch's loss
// sum and diagnostics, and the early-stopping state. It fails for a
// trainer that diverged.
func (t *Trainer) MarshalBinary() ([]byte, error) {
	if t.diverged != nil {
		return nil, fmt.Errorf("checkpoint: %w", t.diverged)
	}
	m := t.model
	size := 4 + 2 + ckptShapeLen(len(t.s.Model.Hidden), t.s.conv) + 4 + 8 + 8*5 + 4 + 1 + 1 +
		len(t.diag)*(24+4*histBuckets) + 4*4 + 4*(len(m.w)+len(m.state)+len(t.opt.s1)+len(t.opt.s2)) + 4
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, ckptMagic...)
	b = le.AppendUint16(b, ckptVersion)
	b = t.appendShape(b)
	b = le.AppendUint32(b, uint32(t.epoch))
	b = le.AppendUint32(b, uint32(t.batch))
	b = le.AppendUint64(b, uint64(t.opt.t))
	b = le.AppendUint64(b, math.Float64bits(t.lossSum))
	b = le.AppendUint64(b, uint64(t.elapsed))
	b = le.AppendUint64(b, math.Float64bits(t.lr))
	b = le.AppendUint64(b, math.Float64bits(t.best))
	b = le.AppendUint32(b, uint32(t.bad))
	b = append(b, boolByte(t.stopped), boolByte(t.hasDiag))
	if t.hasDiag {
		for i := range t.diag {
			d := &t.diag[i]
			b = le.AppendUint64(b, math.Float64bits(d.gradRMS))
			b = le.AppendUint64(b, math.Float64bits(d.gradMax))
			b = le.AppendUint64(b, math.Float64bits(d.dead))
			for _, c := range d.hist {
				b = le.AppendUint32(b, uint32(c))
			}
		}
	}
	for _, s := range [][]float32{m.w, m.state, t.opt.s1, t.opt.s2} {
		b = le.AppendUint32(b, uint32(len(s)))
		for _, v := range s {
			b = le.AppendUint32(b, math.Float32bits(v))
		}
	}
	return le.AppendUint32(b, crc32.Checksum(b, ckptTable)), nil
}

// appendShape appends what identifies the trainer's configuration and data
// shape, so that a checkpoint is only restored into a matching trainer.
func (t *Trainer) appendShape(b []byte) []byte {
	le := binary.LittleEndian
	c := &t.s.Model
	b = le.AppendUint32(b, uint32(c.Inputs))
	b = le.AppendUint32(b, uint32(c.Outputs))
	if p := t.s.conv; p != nil {
		b = le.AppendUint32(b, ckptConv)
		b = le.AppendUint32(b, uint32(p.in.c))
		b = le.AppendUint32(b, uint32(p.in.h))
		b = le.AppendUint32(b, uint32(p.in.w))
		b = append(b, boolByte(t.s.Conv.GlobalPool))
		b = le.AppendUint32(b, uint32(len(p.blocks)))
		for _, k := range p.blocks {
			for _, v := range []int{k.Filters, k.Kernel, k.Stride, k.Padding, k.Dilation, k.PoolSize, k.PoolStride} {
				b = le.AppendUint32(b, uint32(v))
			}
			pool := byte(0)
			switch k.Pool {
			case "max":
				pool = 1
			case "avg":
				pool = 2
			}
			b = append(b, boolByte(k.BatchNorm), boolByte(k.Residual), pool, boolByte(k.Dropout > 0))
		}
		b = le.AppendUint32(b, uint32(t.s.Augment.Crop))
		b = append(b, boolByte(t.s.Augment.Flip))
	}
	b = le.AppendUint32(b, uint32(len(c.Hidden)))
	for _, h := range c.Hidden {
		b = le.AppendUint32(b, uint32(h))
	}
	b = append(b, boolByte(c.BatchNorm), boolByte(c.Dropout > 0), byte(t.opt.kind))
	b = le.AppendUint32(b, uint32(t.train.Len()))
	return le.AppendUint32(b, uint32(t.bs))
}

// ckptShapeLen is the length of appendShape's encoding.
func ckptShapeLen(hidden int, p *convPlan) int {
	n := 4*(5+hidden) + 3
	if p != nil {
		n += 4*5 + 1 + len(p.blocks)*(7*4+4) + 5
	}
	return n
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// UnmarshalBinary restores a checkpoint made by MarshalBinary into t, which
// must have been built by NewTrainer with the same Config and data.
// Training then continues exactly as it would have without the
// interruption: the same losses, bit for bit. A checkpoint that is
// truncated, corrupt, of another version or of another configuration is
// an error, and t is left unchanged.
func (t *Trainer) UnmarshalBinary(b []byte) error {
	if len(b) < len(ckptMagic)+2+4 || string(b[:4]) != ckptMagic {
		return fmt.Errorf("restore checkpoint: %w: not a checkpoint", errCorrupt)
	}
	le := binary.LittleEndian
	if v := le.Uint16(b[4:]); v != ckptVersion {
		return fmt.Errorf("restore checkpoint: version %d, want %d", v, ckptVersion)
	}
	body, sum := b[:len(b)-4], le.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, ckptTable) != sum {
		return fmt.Errorf("restore checkpoint: %w: checksum mismatch (truncated or damaged)", errCorrupt)
	}
	d := ckptDecoder{b: body, off: 6}
	want := t.appendShape(nil)
	if got := d.bytes(len(want)); d.err == nil && string(got) != string(want) {
		return errors.New("restore checkpoint: made for a different model, optimizer, batch size or training set")
	}
	epoch, batch := d.u32(), d.u32()
	steps := d.u64()
	lossSum := d.f64()
	elapsed := time.Duration(d.u64())
	lr, best := d.f64(), d.f64()
	bad := d.u32()
	stopped, hasDiag := d.byte(), d.byte()
	diag := make([]layerDiag, len(t.diag))
	if hasDiag == 1 {
		for i := range diag {
			ld := &diag[i]
			ld.gradRMS, ld.gradMax, ld.dead = d.f64(), d.f64(), d.f64()
			for j := range ld.hist {
				ld.hist[j] = int(d.u32())
			}
		}
	}
	m := t.model
	slabs := [4][]byte{}
	for i, n := range []int{len(m.w), len(m.state), len(t.opt.s1), len(t.opt.s2)} {
		if l := int(d.u32()); d.err == nil && l != n {
			return fmt.Errorf("restore checkpoint: state vector %d has %d elements, the trainer %d", i, l, n)
		}
		slabs[i] = d.bytes(4 * n)
	}
	switch {
	case d.err != nil:
		return fmt.Errorf("restore checkpoint: %w", d.err)
	case d.off != len(body):
		return fmt.Errorf("restore checkpoint: %w: %d bytes of trailing data", errCorrupt, len(body)-d.off)
	case batch >= uint32(t.batches) || stopped > 1 || hasDiag > 1 || bad > epoch ||
		steps != uint64(epoch)*uint64(t.batches)+uint64(batch):
		return fmt.Errorf("restore checkpoint: %w: impossible progress (epoch %d, batch %d, %d steps)", errCorrupt, epoch, batch, steps)
	}
	// Everything checked: commit.
	for i, s := range [][]float32{m.w, m.state, t.opt.s1, t.opt.s2} {
		for j := range s {
			s[j] = math.Float32frombits(le.Uint32(slabs[i][4*j:]))
		}
	}
	t.epoch, t.batch, t.opt.t = int(epoch), int(batch), int64(steps)
	t.lossSum, t.elapsed, t.lr, t.best, t.bad = lossSum, elapsed, lr, best, int(bad)
	t.stopped, t.hasDiag = stopped == 1, hasDiag == 1
	copy(t.diag, diag)
	t.permEpoch = 0 // recompute the epoch's order
	t.diverged = nil
	return nil
}

// ckptDecoder reads a checkpoint body; the first read past the end sets err
// and every later read returns zeros.
type ckptDecoder struct {
	b   []byte
	off int
	err error
}

func (d *ckptDecoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.err = fmt.Errorf("%w: truncated at byte %d", errCorrupt, d.off)
		return nil
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *ckptDecoder) byte() byte {
	if s := d.bytes(1); s != nil {
		return s[0]
	}
	return 0
}

func (d *ckptDecoder) u32() uint32 {
	if s := d.bytes(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (d *ckptDecoder) u64() uint64 {
	if s := d.bytes(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (d *ckptDecoder) f64() float64 { return math.Float64frombits(d.u64()) }
