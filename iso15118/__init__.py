"""ISO 15118-2 messages, EXI codec and XMLDSig over EXI."""
