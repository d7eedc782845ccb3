using System.Net;
using System.Net.Sockets;

namespace Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

/// <summary>
/// A loopback TCP proxy in front of a local server that resets one connection once, after it has carried
/// <c>cutAfterBytes</c> bytes from the server: a network failure in the middle of a response, made on demand.
/// </summary>
internal sealed class ConnectionCuttingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly long _cutAfterBytes;
    private readonly CancellationTokenSource _stop = new();
    private int _cuts;

    public ConnectionCuttingProxy(int targetPort, long cutAfterBytes)
    {
        _target = targetPort;
        _cutAfterBytes = cutAfterBytes;
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Gets how many connections were cut (0 or 1).</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Relay(client);
        }
    }

    private async Task Relay(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                using var link = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                Task up = Pump(client.GetStream(), server.GetStream(), cut: false, link.Token);
                Task down = Pump(server.GetStream(), client.GetStream(), cut: true, link.Token);
                await Task.WhenAny(up, down);
                link.Cancel();
            }
            catch (Exception) { }
            // A reset, not an orderly close: the client sees the connection fail mid-response.
            client.Client.LingerState = new LingerOption(true, 0);
        }
    }

    private async Task Pump(NetworkStream from, NetworkStream to, bool cut, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[8192];
        long carried = 0;
        while (true)
        {
            int n = await from.ReadAsync(buffer, cancellationToken);
            if (n == 0) return;
            if (cut && Volatile.Read(ref _cuts) == 0 && carried + n > _cutAfterBytes && Interlocked.CompareExchange(ref _cuts, 1, 0) == 0)
            {
                int part = (int)(_cutAfterBytes - carried);
                if (part > 0) await to.WriteAsync(buffer.AsMemory(0, part), cancellationToken);
                return;
            }
            carried += n;
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
