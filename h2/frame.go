package h2

import (
	"encoding/binary"
	"fmt"
)

// The wire format of RFC 9113 §4 and §6, as much of it as a server needs.

const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Frame types (RFC 9113 §6, RFC 9218 §7.1).
const (
	frameData           = 0x0
	frameHeaders        = 0x1
	framePriority       = 0x2
	frameRSTStream      = 0x3
	frameSettings       = 0x4
	framePushPromise    = 0x5
	framePing           = 0x6
	frameGoAway         = 0x7
	frameWindowUpdate   = 0x8
	frameContinuation   = 0x9
	framePriorityUpdate = 0x10
)

// Frame flags.
const (
	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	flagPriority   = 0x20
)

// Error codes (RFC 9113 §7).
const (
	codeNo              = 0x0
	codeProtocol        = 0x1
	codeInternal        = 0x2
	codeFlowControl     = 0x3
	codeStreamClosed    = 0x5
	codeFrameSize       = 0x6
	codeRefusedStream   = 0x7
	codeCancel          = 0x8
	codeCompression     = 0x9
	codeEnhanceYourCalm = 0xb
)

// Settings (RFC 9113 §6.5.2).
const (
	settingHeaderTableSize      = 0x1
	settingEnablePush           = 0x2
	settingMaxConcurrentStreams = 0x3
	settingInitialWindowSize    = 0x4
	settingMaxFrameSize         = 0x5
	settingMaxHeaderListSize    = 0x6
	// settingEnableConnectProtocol allows extended CONNECT (RFC 8441 §3).
	settingEnableConnectProtocol = 0x8
)

const (
	// maxFrame is the largest frame payload the server accepts
	// (SETTINGS_MAX_FRAME_SIZE, the protocol's default) and sends.
	maxFrame = 16 << 10
	// frameHeaderLen is the size of a frame header.
	frameHeaderLen = 9
	// maxWindow is the largest flow-control window (2^31-1).
	maxWindow = 1<<31 - 1
	// defaultWindow is a window before SETTINGS say otherwise.
	defaultWindow = 65535
	// streamWindow and connWindow are the receive windows the server
	// grants: per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the
	// connection (a WINDOW_UPDATE after the preface). The connection's
	// bounds what one connection buffers of request bodies.
	streamWindow = 1 << 20
	connWindow   = 1 << 20
	// headerTableSize is the HPACK dynamic table the server's decoder
	// keeps (SETTINGS_HEADER_TABLE_SIZE).
	headerTableSize = 4096
)

// appendFrameHeader appends a frame header.
func appendFrameHeader(b []byte, length int, typ, flags byte, stream uint32) []byte {
	return append(b, byte(length>>16), byte(length>>8), byte(length), typ, flags,
		byte(stream>>24)&0x7f, byte(stream>>16), byte(stream>>8), byte(stream))
}

func appendRSTStream(b []byte, stream, code uint32) []byte {
	b = appendFrameHeader(b, 4, frameRSTStream, 0, stream)
	return binary.BigEndian.AppendUint32(b, code)
}

func appendWindowUpdate(b []byte, stream uint32, n int) []byte {
	b = appendFrameHeader(b, 4, frameWindowUpdate, 0, stream)
	return binary.BigEndian.AppendUint32(b, uint32(n)&0x7fffffff)
}

func appendGoAway(b []byte, last, code uint32) []byte {
	b = appendFrameHeader(b, 8, frameGoAway, 0, 0)
	b = binary.BigEndian.AppendUint32(b, last&0x7fffffff)
	return binary.BigEndian.AppendUint32(b, code)
}

func appendSetting(b []byte, id uint16, v uint32) []byte {
	b = binary.BigEndian.AppendUint16(b, id)
	return binary.BigEndian.AppendUint32(b, v)
}

// connError ends the connection with GOAWAY(code).
type connError struct {
	code   uint32
	reason string
}

func (e *connError) Error() string {
	return fmt.Sprintf("h2: connection error %#x: %s", e.code, e.reason)
}

func protoErr(reason string) error { return &connError{codeProtocol, reason} }

func frameSizeErr(reason string) error { return &connError{codeFrameSize, reason} }
