goodware query - KERNEL32.dll
