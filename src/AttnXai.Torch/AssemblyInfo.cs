// Native-call buffers are fully written before use: skip zeroing stackalloc'd memory on every operator call.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
