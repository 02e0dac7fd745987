import Hummingbird
import Crypto
import Prometheus
import AsyncHTTPClient
