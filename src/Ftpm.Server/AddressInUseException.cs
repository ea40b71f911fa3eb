namespace Ftpm.Server;

/// <summary>A listener could not bind because another socket holds the address and port.</summary>
public sealed class AddressInUseException(string message, Exception innerException)
    : IOException(message, innerException);
